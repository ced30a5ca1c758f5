package dev.cqrs.core.entity;

import dev.cqrs.core.Aggregate;
import dev.cqrs.core.EntitySource;
import dev.cqrs.core.Event;
import dev.cqrs.core.EventSource;
import dev.cqrs.core.HydratedAggregate;
import dev.cqrs.core.SnapshotSource;
import dev.cqrs.core.Since;
import dev.cqrs.core.StreamId;
import dev.cqrs.core.Version;
import dev.cqrs.core.VersionedAggregate;
import dev.cqrs.core.VersionedEvent;
import dev.cqrs.core.trivial.NullSnapshotStore;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads an aggregate from its latest usable snapshot and the events after it, read in pages.
 *
 * <p>A snapshot that cannot be read (a broken payload, say) is logged and ignored: the aggregate is
 * then rebuilt from all its events, which is always correct, only slower.
 */
public final class CompositeEntitySource<S, E extends Event> implements EntitySource<S> {

    private static final Logger log = LoggerFactory.getLogger(CompositeEntitySource.class);
    /** Events read per round trip while rehydrating. */
    static final int DEFAULT_PAGE_SIZE = 5_000;

    private final Aggregate<S, ?, E> aggregate;
    private final EventSource<? extends E> events;
    private final SnapshotSource<S> snapshots;
    private final int pageSize;

    public CompositeEntitySource(Aggregate<S, ?, E> aggregate, EventSource<? extends E> events,
                                 SnapshotSource<S> snapshots) {
        this(aggregate, events, snapshots, DEFAULT_PAGE_SIZE);
    }

    CompositeEntitySource(Aggregate<S, ?, E> aggregate, EventSource<? extends E> events,
                          SnapshotSource<S> snapshots, int pageSize) {
        this.aggregate = Objects.requireNonNull(aggregate, "aggregate");
        this.events = Objects.requireNonNull(events, "events");
        this.snapshots = Objects.requireNonNull(snapshots, "snapshots");
        if (pageSize < 1) {
            throw new IllegalArgumentException("page size must be at least 1");
        }
        this.pageSize = pageSize;
        if (!aggregate.aggregateType().equals(events.aggregateType())) {
            throw new IllegalArgumentException("the event source reads '" + events.aggregateType()
                    + "' streams, not '" + aggregate.aggregateType() + "'");
        }
    }

    /** Without snapshots: every load replays all events. */
    public static <S, E extends Event> CompositeEntitySource<S, E> withoutSnapshots(Aggregate<S, ?, E> aggregate,
                                                                      EventSource<? extends E> events) {
        return new CompositeEntitySource<>(aggregate, events, NullSnapshotStore.create());
    }

    @Override
    public Optional<HydratedAggregate<S>> rehydrate(String aggregateId) {
        StreamId stream = StreamId.of(aggregate.aggregateType(), aggregateId);
        Optional<VersionedAggregate<S>> snapshot = latestSnapshot(stream);
        Version version = snapshot.map(VersionedAggregate::version).orElse(Version.INITIAL);
        S state = snapshot.map(VersionedAggregate::state).orElseGet(aggregate::initialState);
        while (true) {
            List<? extends VersionedEvent<? extends E>> page =
                    events.readEventsWithoutMetadata(aggregateId, Since.version(version), pageSize);
            for (VersionedEvent<? extends E> event : page) {
                state = aggregate.apply(state, event.event());
                version = Version.of(event.sequence());
            }
            if (page.size() < pageSize) {
                break;
            }
        }
        if (version instanceof Version.Initial) {
            return Optional.empty();
        }
        return Optional.of(new HydratedAggregate<>(version, snapshot.map(VersionedAggregate::version), state));
    }

    private Optional<VersionedAggregate<S>> latestSnapshot(StreamId stream) {
        try {
            return snapshots.getSnapshot(stream.aggregateId());
        } catch (RuntimeException e) {
            log.warn("Ignoring the snapshot of {}: it could not be read ({}); replaying all events", stream, e.toString());
            return Optional.empty();
        }
    }
}
