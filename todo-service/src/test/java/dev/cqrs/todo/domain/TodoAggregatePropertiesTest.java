package dev.cqrs.todo.domain;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cqrs.core.Decision;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.From;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

/** Properties of the to-do over random command sequences. */
class TodoAggregatePropertiesTest {

    static final Instant NOW = Instant.parse("2026-11-27T12:00:00Z");
    final TodoAggregate aggregate = new TodoAggregate(Clock.fixed(NOW, ZoneOffset.UTC));

    @Provide
    Arbitrary<TodoCommand> commands() {
        Arbitrary<String> texts = Arbitraries.of("a", "b", " a ", "", "x".repeat(1_001), "c\u0000");
        Arbitrary<Instant> times = Arbitraries.integers().between(-2, 3).map(h -> NOW.plus(Duration.ofHours(h)));
        return Arbitraries.oneOf(
                texts.flatMap(t -> times.optional().map(r -> new TodoCommand.CreateTodo(t, r))),
                texts.map(TodoCommand.UpdateDescription::new),
                times.map(TodoCommand.SetReminder::new),
                Arbitraries.just(new TodoCommand.CancelReminder()),
                Arbitraries.just(new TodoCommand.ToggleCompletion()),
                Arbitraries.just(new TodoCommand.MarkCompleted()),
                Arbitraries.just(new TodoCommand.ResetCompleted()));
    }

    /**
     * Whatever the commands, the state is the fold of the accepted events, an accepted command that
     * is not a toggle changes nothing when decided again on the state it produced, and a rejection
     * leaves the state alone.
     */
    @Property(tries = 300)
    void decidingAgainOnTheResultingStateChangesNothingExceptForToggles(
            @ForAll @Size(max = 25) List<@From("commands") TodoCommand> commands) {
        TodoState state = aggregate.initialState();
        List<TodoEvent> history = new ArrayList<>();
        for (TodoCommand command : commands) {
            Decision<TodoEvent> decision = aggregate.decide(state, command);
            if (decision instanceof Decision.Accepted<TodoEvent> accepted) {
                state = aggregate.applyAll(state, accepted.events());
                history.addAll(accepted.events());
                if (!(command instanceof TodoCommand.ToggleCompletion) && !(command instanceof TodoCommand.CreateTodo)) {
                    assertThat(aggregate.decide(state, command)).isEqualTo(Decision.nothing());
                }
            }
            assertThat(aggregate.applyAll(aggregate.initialState(), history)).isEqualTo(state);
        }
        if (state instanceof TodoState.Todo todo) {
            assertThat(todo.description()).isNotBlank().hasSizeLessThanOrEqualTo(1_000);
            todo.reminder().ifPresent(r -> assertThat(r).isAfter(NOW));
        } else {
            assertThat(history).isEmpty();
        }
    }
}
