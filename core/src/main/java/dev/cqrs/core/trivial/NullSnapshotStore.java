package dev.cqrs.core.trivial;

import dev.cqrs.core.SnapshotStore;
import dev.cqrs.core.VersionedAggregate;
import java.util.Optional;

/** Keeps no snapshots: every load replays all events. */
public final class NullSnapshotStore<S> implements SnapshotStore<S> {

    private static final NullSnapshotStore<?> INSTANCE = new NullSnapshotStore<>();

    private NullSnapshotStore() {
    }

    @SuppressWarnings("unchecked")
    public static <S> NullSnapshotStore<S> create() {
        return (NullSnapshotStore<S>) INSTANCE;
    }

    @Override
    public Optional<VersionedAggregate<S>> getSnapshot(String aggregateId) {
        return Optional.empty();
    }

    @Override
    public void persistSnapshot(String aggregateId, VersionedAggregate<S> snapshot) {
        // nothing is kept, by design
    }
}
