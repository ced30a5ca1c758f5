package dev.cqrs.core.entity;

import dev.cqrs.core.Aggregate;
import dev.cqrs.core.AppendResult;
import dev.cqrs.core.CommandMetadata;
import dev.cqrs.core.EntitySink;
import dev.cqrs.core.Event;
import dev.cqrs.core.EventSink;
import dev.cqrs.core.HydratedAggregate;
import dev.cqrs.core.Precondition;
import dev.cqrs.core.SnapshotRecommendation;
import dev.cqrs.core.SnapshotSink;
import dev.cqrs.core.SnapshotStrategy;
import dev.cqrs.core.StreamId;
import dev.cqrs.core.VersionedAggregate;
import dev.cqrs.core.trivial.NullSnapshotStore;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Appends events with the loaded version expected, applies them, and snapshots as the strategy says.
 *
 * <p>A snapshot is an optimisation: when writing one fails after the events were committed, the
 * failure is logged and the command still succeeds.
 */
public final class CompositeEntitySink<S, E extends Event> implements EntitySink<S, E> {

    private static final Logger log = LoggerFactory.getLogger(CompositeEntitySink.class);

    private final Aggregate<S, ?, E> aggregate;
    private final EventSink<? super E> events;
    private final SnapshotSink<S> snapshots;
    private final SnapshotStrategy strategy;

    public CompositeEntitySink(Aggregate<S, ?, E> aggregate, EventSink<? super E> events, SnapshotSink<S> snapshots,
                               SnapshotStrategy strategy) {
        this.aggregate = Objects.requireNonNull(aggregate, "aggregate");
        this.events = Objects.requireNonNull(events, "events");
        this.snapshots = Objects.requireNonNull(snapshots, "snapshots");
        this.strategy = Objects.requireNonNull(strategy, "strategy");
        if (!aggregate.aggregateType().equals(events.aggregateType())) {
            throw new IllegalArgumentException("the event sink writes '" + events.aggregateType()
                    + "' streams, not '" + aggregate.aggregateType() + "'");
        }
    }

    /** Without snapshots. */
    public static <S, E extends Event> CompositeEntitySink<S, E> withoutSnapshots(Aggregate<S, ?, E> aggregate, EventSink<? super E> events) {
        return new CompositeEntitySink<>(aggregate, events, NullSnapshotStore.create(), SnapshotStrategy.never());
    }

    @Override
    public Persisted<S> persist(String aggregateId, HydratedAggregate<S> loaded, List<? extends E> newEvents,
                                CommandMetadata metadata) {
        AppendResult append = events.append(aggregateId, newEvents,
                Optional.of(Precondition.expectedVersion(loaded.version())), metadata);
        S state = aggregate.applyAll(loaded.state(), newEvents);
        HydratedAggregate<S> after = new HydratedAggregate<>(append.version(), loaded.snapshotVersion(), state);
        return new Persisted<>(snapshotIfRecommended(aggregateId, after), append);
    }

    private HydratedAggregate<S> snapshotIfRecommended(String aggregateId, HydratedAggregate<S> after) {
        if (strategy.recommend(after.version(), after.snapshotVersion()) != SnapshotRecommendation.SHOULD_SNAPSHOT) {
            return after;
        }
        try {
            snapshots.persistSnapshot(aggregateId, new VersionedAggregate<>(after.version(), after.state()));
            return new HydratedAggregate<>(after.version(), Optional.of(after.version()), after.state());
        } catch (RuntimeException e) {
            log.warn("Could not snapshot {} at version {} (the events are committed): {}",
                    StreamId.of(aggregate.aggregateType(), aggregateId), after.version(), e.toString());
            return after;
        }
    }
}
