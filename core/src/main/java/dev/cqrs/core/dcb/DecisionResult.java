package dev.cqrs.core.dcb;

import dev.cqrs.core.AppendResult;
import dev.cqrs.core.Rejection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/** The outcome of a {@link Decider}'s decision run by {@link Decisions}, as a value for the edge. */
public sealed interface DecisionResult<S, E> permits DecisionResult.Accepted, DecisionResult.Rejected,
        DecisionResult.Conflict {

    /**
     * The command was accepted.
     *
     * @param state  the decision's state after its events
     * @param events the events appended, empty when the command changed nothing
     * @param append what the append wrote; empty when there were no events
     */
    record Accepted<S, E>(S state, List<E> events, Optional<AppendResult> append) implements DecisionResult<S, E> {
        public Accepted {
            Objects.requireNonNull(state, "state");
            events = List.copyOf(events);
            Objects.requireNonNull(append, "append");
        }

        /** The global position of the last event written, for read-your-writes; empty if none was. */
        public OptionalLong lastPosition() {
            return append.map(a -> OptionalLong.of(a.lastPosition())).orElse(OptionalLong.empty());
        }

        /** True when an earlier command with the same idempotency key had already done this. */
        public boolean replayed() {
            return append.map(AppendResult::replayed).orElse(false);
        }
    }

    /** The decision refused the command; nothing was written. */
    record Rejected<S, E>(Rejection rejection) implements DecisionResult<S, E> {
        public Rejected {
            Objects.requireNonNull(rejection, "rejection");
        }
    }

    /**
     * Other writers kept appending events that the decision depends on, through every retry: nothing was
     * written. {@code failure} is the last attempt's, naming the event that got in between.
     */
    record Conflict<S, E>(AppendConditionFailed failure, int attempts) implements DecisionResult<S, E> {
        public Conflict {
            Objects.requireNonNull(failure, "failure");
        }
    }
}
