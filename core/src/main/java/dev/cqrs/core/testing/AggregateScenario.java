package dev.cqrs.core.testing;

import dev.cqrs.core.Aggregate;
import dev.cqrs.core.Decision;
import dev.cqrs.core.Event;
import dev.cqrs.core.Rejection;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * A given/when/then fixture for aggregates: given the events so far, when a command is decided, then
 * these events (or nothing, or a rejection). Pure: no store is involved. Failures are
 * {@link AssertionError}s that show what was expected and what was decided.
 *
 * <pre>{@code
 * AggregateScenario.of(new TodoAggregate(clock))
 *         .given(new Created("buy milk"), new Completed())
 *         .when(new ToggleCompletion())
 *         .thenEvents(new Uncompleted());
 * }</pre>
 */
public final class AggregateScenario<S, C, E extends Event> {

    private final Aggregate<S, C, E> aggregate;
    private final List<E> given;

    private AggregateScenario(Aggregate<S, C, E> aggregate, List<E> given) {
        this.aggregate = aggregate;
        this.given = given;
    }

    public static <S, C, E extends Event> AggregateScenario<S, C, E> of(Aggregate<S, C, E> aggregate) {
        return new AggregateScenario<>(Objects.requireNonNull(aggregate, "aggregate"), List.of());
    }

    /** The events the aggregate already has, oldest first; none means it does not exist yet. */
    @SafeVarargs
    public final AggregateScenario<S, C, E> given(E... events) {
        return new AggregateScenario<>(aggregate, List.of(events));
    }

    /** Decides {@code command} on the state folded from the given events. */
    public Then<S, E> when(C command) {
        S state = aggregate.applyAll(aggregate.initialState(), given);
        Decision<E> decision = aggregate.decide(state, Objects.requireNonNull(command, "command"));
        return new Then<>(aggregate, state, command, decision);
    }

    /** Assertions on what was decided. */
    public static final class Then<S, E extends Event> {
        private final Aggregate<S, ?, E> aggregate;
        private final S before;
        private final Outcome<E> outcome;

        private Then(Aggregate<S, ?, E> aggregate, S before, Object command, Decision<E> decision) {
            this.aggregate = aggregate;
            this.before = before;
            this.outcome = new Outcome<>("when " + command + " on " + before, decision);
        }

        /** The command was accepted with exactly these events, in this order. */
        @SafeVarargs
        public final Then<S, E> thenEvents(E... expected) {
            outcome.events(List.of(expected));
            return this;
        }

        /** The command was accepted and changes nothing: no events. */
        public Then<S, E> thenNothing() {
            outcome.nothing();
            return this;
        }

        /** The command was rejected with this code. */
        public Then<S, E> thenRejected(String expectedCode) {
            outcome.rejected(expectedCode);
            return this;
        }

        /** The command was rejected; more checks on the rejection. */
        public Then<S, E> thenRejected(String expectedCode, Consumer<Rejection> check) {
            outcome.rejected(expectedCode);
            check.accept(outcome.rejection());
            return this;
        }

        /** The state after applying the decided events equals {@code expected}. */
        public Then<S, E> thenState(S expected) {
            outcome.state(expected, aggregate.applyAll(before, outcome.accepted()));
            return this;
        }

        /** What was decided, for checks this fixture does not offer. */
        public Decision<E> decision() {
            return outcome.decision();
        }
    }
}
