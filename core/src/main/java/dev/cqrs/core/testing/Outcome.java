package dev.cqrs.core.testing;

import dev.cqrs.core.Decision;
import dev.cqrs.core.Rejection;
import java.util.List;
import java.util.Objects;

/**
 * The checks both given/when/then fixtures make of a decision ({@link AggregateScenario} on an aggregate's
 * events, {@link DecisionScenario} on a query's), each failing with what was decided and on what.
 *
 * @param context what was decided on, e.g. {@code when Complete[] on Todo[...]}, the start of every failure
 */
record Outcome<E>(String context, Decision<E> decision) {

    Outcome {
        Objects.requireNonNull(context, "context");
        Objects.requireNonNull(decision, "decision");
    }

    void events(List<E> expected) {
        List<E> actual = accepted();
        if (!actual.equals(expected)) {
            throw new AssertionError(context + "\n  expected events: " + expected + "\n  but decided:     " + actual);
        }
    }

    void nothing() {
        List<E> actual = accepted();
        if (!actual.isEmpty()) {
            throw new AssertionError(context + "\n  expected no events, but decided: " + actual);
        }
    }

    void rejected(String expectedCode) {
        Rejection rejection = rejection();
        if (!rejection.code().equals(expectedCode)) {
            throw new AssertionError(context + "\n  expected rejection " + expectedCode + "\n  but got:           " + rejection);
        }
    }

    <S> void state(S expected, S after) {
        if (!Objects.equals(after, expected)) {
            throw new AssertionError(context + "\n  expected state: " + expected + "\n  but got:        " + after);
        }
    }

    List<E> accepted() {
        return switch (decision) {
            case Decision.Accepted<E> a -> a.events();
            case Decision.Rejected<E> r -> throw new AssertionError(context
                    + "\n  expected the command to be accepted, but it was rejected: " + r.rejection());
        };
    }

    Rejection rejection() {
        return switch (decision) {
            case Decision.Rejected<E> r -> r.rejection();
            case Decision.Accepted<E> a -> throw new AssertionError(context
                    + "\n  expected a rejection, but the command was accepted with events " + a.events());
        };
    }
}
