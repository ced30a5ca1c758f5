package dev.cqrs.core.trivial;

import dev.cqrs.core.AppendResult;
import dev.cqrs.core.Before;
import dev.cqrs.core.CommandMetadata;
import dev.cqrs.core.EventNumber;
import dev.cqrs.core.EventStore;
import dev.cqrs.core.Names;
import dev.cqrs.core.Precondition;
import dev.cqrs.core.Since;
import dev.cqrs.core.StreamId;
import dev.cqrs.core.Version;
import dev.cqrs.core.VersionedEventWithMetadata;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The trivial event store: every stream is absent, appends are checked and then discarded. Useful
 * where an aggregate's decisions matter and its history does not (a dry run, a benchmark of the
 * domain alone). Appends report positions of 0, as nothing reaches a global log.
 */
public final class NullEventStore<E> implements EventStore<E> {

    private final String aggregateType;

    private NullEventStore(String aggregateType) {
        this.aggregateType = Names.checkVerbatim("aggregate type", aggregateType, StreamId.MAX_TYPE_LENGTH);
    }

    public static <E> NullEventStore<E> create(String aggregateType) {
        return new NullEventStore<>(aggregateType);
    }

    @Override
    public String aggregateType() {
        return aggregateType;
    }

    @Override
    public List<VersionedEventWithMetadata<E>> readEvents(String aggregateId, Since since, int maxCount) {
        StreamId.of(aggregateType, aggregateId);
        return List.of();
    }

    @Override
    public List<VersionedEventWithMetadata<E>> readEventsBackward(String aggregateId, Before before, int maxCount) {
        StreamId.of(aggregateType, aggregateId);
        return List.of();
    }

    @Override
    public Optional<Version> currentVersion(String aggregateId) {
        StreamId.of(aggregateType, aggregateId);
        return Optional.empty();
    }

    /** Checks the precondition against an absent stream and writes nothing. */
    @Override
    public AppendResult append(String aggregateId, List<? extends E> events, Optional<Precondition> precondition,
                               CommandMetadata metadata) {
        StreamId stream = StreamId.of(aggregateType, aggregateId);
        Objects.requireNonNull(metadata, "metadata");
        if (events.isEmpty()) {
            throw new IllegalArgumentException("nothing to append to " + stream + ": the event list is empty");
        }
        precondition.ifPresent(p -> p.verify(stream, Optional.empty()));
        return new AppendResult(stream, EventNumber.FIRST, EventNumber.of(events.size()), 0, 0, false);
    }

    @Override
    public Optional<AppendResult> findAppend(String idempotencyKey) {
        return Optional.empty();
    }
}
