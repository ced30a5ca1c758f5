package dev.cqrs.core.testing;

import dev.cqrs.core.Decision;
import dev.cqrs.core.Event;
import dev.cqrs.core.Rejection;
import dev.cqrs.core.dcb.Decider;
import dev.cqrs.core.dcb.Query;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * A given/when/then fixture for {@link Decider}s: given the events in the store, when a command is
 * decided, then these events (or nothing, or a rejection). Pure: no store is involved, but the fixture
 * does what a store does with the given events: the decision sees only those that its
 * {@link Decider#query query} matches (by type and tags), in the given order. So a subscription to
 * another course is there, and the decision must not count it. Failures are {@link AssertionError}s
 * that show what was expected and what was decided.
 *
 * <pre>{@code
 * DecisionScenario.of(new SubscribeStudent())
 *         .given(new CourseDefined("c1", "Maths", 1), new StudentSubscribed("s1", "c1"))
 *         .when(new Subscribe("s2", "c1"))
 *         .thenRejected("COURSE_FULL");
 * }</pre>
 */
public final class DecisionScenario<S, C, E extends Event> {

    private final Decider<S, C, E> decider;
    private final List<E> given;

    private DecisionScenario(Decider<S, C, E> decider, List<E> given) {
        this.decider = decider;
        this.given = given;
    }

    public static <S, C, E extends Event> DecisionScenario<S, C, E> of(Decider<S, C, E> decider) {
        return new DecisionScenario<>(Objects.requireNonNull(decider, "decider"), List.of());
    }

    /** Every event in the store, oldest first, whether the decision's query matches it or not. */
    @SafeVarargs
    public final DecisionScenario<S, C, E> given(E... events) {
        return new DecisionScenario<>(decider, List.of(events));
    }

    /** Every event in the store, oldest first. */
    public DecisionScenario<S, C, E> given(List<? extends E> events) {
        return new DecisionScenario<>(decider, List.copyOf(events));
    }

    /** Decides {@code command} on the given events that its query matches. */
    public Then<S, E> when(C command) {
        Objects.requireNonNull(command, "command");
        Query query = decider.query(command);
        List<E> seen = given.stream().filter(e -> query.matches(e.eventType(), e.eventTags())).toList();
        S state = decider.evolveAll(decider.initialState(command), seen);
        return new Then<>(decider, query, state, command, seen, decider.decide(state, command));
    }

    /** Assertions on what was decided. */
    public static final class Then<S, E extends Event> {
        private final Decider<S, ?, E> decider;
        private final Query query;
        private final S before;
        private final List<E> seen;
        private final Outcome<E> outcome;

        private Then(Decider<S, ?, E> decider, Query query, S before, Object command, List<E> seen, Decision<E> decision) {
            this.decider = decider;
            this.query = query;
            this.before = before;
            this.seen = seen;
            this.outcome = new Outcome<>("when " + command + " on " + before + " (folded from " + seen.size()
                    + " events the query matched)", decision);
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

        /** The command was rejected with this code; more checks on the rejection. */
        public Then<S, E> thenRejected(String expectedCode, Consumer<Rejection> check) {
            outcome.rejected(expectedCode);
            check.accept(outcome.rejection());
            return this;
        }

        /** The state after the decided events equals {@code expected}. */
        public Then<S, E> thenState(S expected) {
            outcome.state(expected, decider.evolveAll(before, outcome.accepted()));
            return this;
        }

        /**
         * Every decided event matches the decision's own query: the property that makes two concurrent
         * decisions of this kind see each other's events and conflict, instead of both succeeding.
         */
        public Then<S, E> thenEventsMatchTheQuery() {
            for (E event : outcome.accepted()) {
                if (!query.matches(event.eventType(), event.eventTags())) {
                    throw new AssertionError(outcome.context() + "\n  decided " + event + " tagged " + event.eventTags()
                            + ", which the query (" + query + ") does not match: a concurrent decision would not see it");
                }
            }
            return this;
        }

        /** The given events that the query matched, which the decision saw, oldest first. */
        public List<E> seen() {
            return seen;
        }

        /** What was decided, for checks this fixture does not offer. */
        public Decision<E> decision() {
            return outcome.decision();
        }
    }
}
