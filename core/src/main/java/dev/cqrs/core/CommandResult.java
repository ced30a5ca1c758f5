package dev.cqrs.core;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/** The outcome of a command, as a value for the edge (an API maps each case to a response). */
public sealed interface CommandResult<S, E> permits CommandResult.Accepted, CommandResult.Rejected, CommandResult.Conflict {

    StreamId stream();

    /** This result as {@link Accepted}, typed, or empty when the command was rejected or conflicted. */
    default Optional<Accepted<S, E>> accepted() {
        return this instanceof Accepted<S, E> accepted ? Optional.of(accepted) : Optional.empty();
    }

    /**
     * The aggregate accepted the command.
     *
     * @param aggregate the aggregate after the command
     * @param events    the events the command caused, empty when it changed nothing
     * @param append    what the append wrote; empty when there were no events
     */
    record Accepted<S, E>(StreamId stream, HydratedAggregate<S> aggregate, List<VersionedEvent<E>> events,
                          Optional<AppendResult> append) implements CommandResult<S, E> {
        public Accepted {
            Objects.requireNonNull(stream, "stream");
            Objects.requireNonNull(aggregate, "aggregate");
            events = List.copyOf(events);
            Objects.requireNonNull(append, "append");
        }

        /** The version after the command (for a replayed idempotency key, after the first command). */
        public Version version() {
            return append.map(AppendResult::version).orElse(aggregate.version());
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

    /** The aggregate refused the command; nothing was written. */
    record Rejected<S, E>(StreamId stream, Rejection rejection) implements CommandResult<S, E> {
        public Rejected {
            Objects.requireNonNull(stream, "stream");
            Objects.requireNonNull(rejection, "rejection");
        }
    }

    /** The precondition did not hold, or another writer won every retry; nothing was written. */
    record Conflict<S, E>(PreconditionFailed failure) implements CommandResult<S, E> {
        public Conflict {
            Objects.requireNonNull(failure, "failure");
        }

        @Override
        public StreamId stream() {
            return failure.stream();
        }
    }
}
