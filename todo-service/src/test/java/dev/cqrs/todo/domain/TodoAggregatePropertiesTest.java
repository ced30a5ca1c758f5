package dev.cqrs.todo.domain;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cqrs.core.Decision;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.From;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

/**
 * Properties of the to-do over random command sequences, checked against a model written here from the rules
 * (the design brief's and {@link TodoAggregate}'s javadoc), not from the aggregate's code: for every command, the
 * model says whether it is rejected (and with which code), changes nothing, or which events it causes; the
 * aggregate must decide the same, and its state after applying them must be the model's.
 */
class TodoAggregatePropertiesTest {

    static final Instant NOW = Instant.parse("2026-11-27T12:00:00Z");
    final TodoAggregate aggregate = new TodoAggregate(Clock.fixed(NOW, ZoneOffset.UTC));

    @Provide
    Arbitrary<TodoCommand> commands() {
        Arbitrary<String> texts = Arbitraries.of("a", "b", " a ", "", " \t", "x".repeat(1_000), "x".repeat(1_001), "c\u0000",
                "line\nbreak", "\uD83D\uDE00", "broken \uD800");
        Arbitrary<Instant> times = Arbitraries.integers().between(-2, 3).map(h -> NOW.plus(Duration.ofHours(h)))
                .flatMap(t -> Arbitraries.of(t, t.plusNanos(123_456)));
        return Arbitraries.oneOf(
                texts.flatMap(t -> times.optional().map(r -> new TodoCommand.CreateTodo(t, r))),
                texts.map(TodoCommand.UpdateDescription::new),
                times.map(TodoCommand.SetReminder::new),
                Arbitraries.just(new TodoCommand.CancelReminder()),
                Arbitraries.just(new TodoCommand.ToggleCompletion()),
                Arbitraries.just(new TodoCommand.MarkCompleted()),
                Arbitraries.just(new TodoCommand.ResetCompleted()));
    }

    @Property(tries = 500)
    void everyDecisionAndEveryStateAreTheModels(@ForAll @Size(max = 25) List<@From("commands") TodoCommand> commands) {
        TodoState state = aggregate.initialState();
        Model model = new Model();
        for (TodoCommand command : commands) {
            Decision<TodoEvent> expected = model.decide(command);
            Decision<TodoEvent> actual = aggregate.decide(state, command);
            if (expected instanceof Decision.Rejected<TodoEvent> rejected) {
                assertThat(actual).as("%s on %s", command, model).isInstanceOfSatisfying(Decision.Rejected.class,
                        r -> assertThat(r.rejection().code()).isEqualTo(rejected.rejection().code()));
                continue;
            }
            assertThat(actual).as("%s on %s", command, model).isEqualTo(expected);
            List<TodoEvent> events = ((Decision.Accepted<TodoEvent>) actual).events();
            state = aggregate.applyAll(state, events);
            model.apply(command);
            assertThat(state).as("after %s", command).isEqualTo(model.state());
        }
    }

    /**
     * An accepted command that is not a toggle or a create changes nothing when decided again on the state it left:
     * commands are idempotent in effect, so a retried command writes no second event.
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
        }
        if (state instanceof TodoState.Todo todo) {
            assertThat(todo.description()).isNotBlank().hasSizeLessThanOrEqualTo(1_000).isEqualTo(todo.description().strip());
            todo.reminder().ifPresent(r -> assertThat(r).isAfter(NOW));
        } else {
            assertThat(history).isEmpty();
        }
    }

    /** The to-do as the rules describe it, in plain mutable fields. */
    private static final class Model {
        boolean exists;
        String description;
        Optional<Instant> reminder = Optional.empty();
        boolean completed;

        TodoState state() {
            return exists ? new TodoState.Todo(description, reminder, completed) : new TodoState.Absent();
        }

        /** What the rules say the command causes here. */
        Decision<TodoEvent> decide(TodoCommand command) {
            return switch (command) {
                case TodoCommand.CreateTodo create -> {
                    if (!valid(create.description()) || create.reminder().map(r -> !future(r)).orElse(false)) {
                        yield Decision.reject(TodoRejections.VALIDATION, "invalid");
                    }
                    if (exists) {
                        yield Decision.reject(TodoRejections.ALREADY_CREATED, "exists");
                    }
                    TodoEvent created = new TodoEvent.Created(create.description().strip());
                    yield create.reminder().isEmpty() ? Decision.accept(created)
                            : Decision.accept(created, new TodoEvent.ReminderUpdated(create.reminder().map(Model::millis)));
                }
                case TodoCommand.UpdateDescription update -> {
                    if (!valid(update.description())) {
                        yield Decision.reject(TodoRejections.VALIDATION, "invalid");
                    }
                    if (!exists) {
                        yield Decision.reject(TodoRejections.NOT_INITIALIZED, "absent");
                    }
                    String text = update.description().strip();
                    yield text.equals(description) ? Decision.nothing() : Decision.accept(new TodoEvent.DescriptionUpdated(text));
                }
                case TodoCommand.SetReminder set -> {
                    if (!future(set.reminder())) {
                        yield Decision.reject(TodoRejections.VALIDATION, "past");
                    }
                    if (!exists) {
                        yield Decision.reject(TodoRejections.NOT_INITIALIZED, "absent");
                    }
                    Optional<Instant> wanted = Optional.of(millis(set.reminder()));
                    yield wanted.equals(reminder) ? Decision.nothing() : Decision.accept(new TodoEvent.ReminderUpdated(wanted));
                }
                case TodoCommand.CancelReminder cancel -> !exists ? Decision.reject(TodoRejections.NOT_INITIALIZED, "absent")
                        : reminder.isEmpty() ? Decision.nothing() : Decision.accept(new TodoEvent.ReminderUpdated(Optional.empty()));
                case TodoCommand.ToggleCompletion toggle -> !exists ? Decision.reject(TodoRejections.NOT_INITIALIZED, "absent")
                        : Decision.accept(completed ? new TodoEvent.Uncompleted() : new TodoEvent.Completed());
                case TodoCommand.MarkCompleted mark -> !exists ? Decision.reject(TodoRejections.NOT_INITIALIZED, "absent")
                        : completed ? Decision.nothing() : Decision.accept(new TodoEvent.Completed());
                case TodoCommand.ResetCompleted reset -> !exists ? Decision.reject(TodoRejections.NOT_INITIALIZED, "absent")
                        : completed ? Decision.accept(new TodoEvent.Uncompleted()) : Decision.nothing();
            };
        }

        /** The command's effect, once {@link #decide} accepted it. */
        void apply(TodoCommand command) {
            switch (command) {
                case TodoCommand.CreateTodo create -> {
                    exists = true;
                    description = create.description().strip();
                    reminder = create.reminder().map(Model::millis);
                    completed = false;
                }
                case TodoCommand.UpdateDescription update -> description = update.description().strip();
                case TodoCommand.SetReminder set -> reminder = Optional.of(millis(set.reminder()));
                case TodoCommand.CancelReminder cancel -> reminder = Optional.empty();
                case TodoCommand.ToggleCompletion toggle -> completed = !completed;
                case TodoCommand.MarkCompleted mark -> completed = true;
                case TodoCommand.ResetCompleted reset -> completed = false;
            }
        }

        /** Not blank once stripped, at most 1,000 code points, no control characters but newlines and tabs, no broken Unicode. */
        private static boolean valid(String text) {
            String stripped = text.strip();
            if (stripped.isEmpty() || stripped.codePointCount(0, stripped.length()) > 1_000) {
                return false;
            }
            return stripped.codePoints().noneMatch(c -> (Character.isISOControl(c) && c != '\n' && c != '\t' && c != '\r')
                    || Character.isSurrogate((char) c) && c <= 0xFFFF);
        }

        private static boolean future(Instant reminder) {
            return millis(reminder).isAfter(NOW);
        }

        private static Instant millis(Instant instant) {
            return instant.truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
        }

        @Override
        public String toString() {
            return state().toString();
        }
    }
}
