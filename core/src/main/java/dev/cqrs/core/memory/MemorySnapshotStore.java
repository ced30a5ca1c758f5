package dev.cqrs.core.memory;

import dev.cqrs.core.Names;
import dev.cqrs.core.SnapshotStore;
import dev.cqrs.core.StreamId;
import dev.cqrs.core.VersionedAggregate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Snapshots in memory, tagged with the state's schema version. {@link #withSchemaVersion(int)} gives a
 * view of the same snapshots as an aggregate of another state shape sees them: it ignores snapshots of
 * other versions, exactly as the PostgreSQL store does.
 */
public final class MemorySnapshotStore<S> implements SnapshotStore<S> {

    /** How many snapshots are kept per aggregate, newest first. */
    static final int KEPT_PER_AGGREGATE = 3;

    private record Stored(int schemaVersion, VersionedAggregate<Object> snapshot) {
    }

    private final Map<String, List<Stored>> snapshots;
    private final int schemaVersion;

    private MemorySnapshotStore(Map<String, List<Stored>> snapshots, int schemaVersion) {
        if (schemaVersion < 1) {
            throw new IllegalArgumentException("a state schema version starts at 1, got " + schemaVersion);
        }
        this.snapshots = snapshots;
        this.schemaVersion = schemaVersion;
    }

    /** An empty store for states of {@code schemaVersion} (see {@code Aggregate.stateSchemaVersion()}). */
    public static <S> MemorySnapshotStore<S> create(int schemaVersion) {
        return new MemorySnapshotStore<>(new HashMap<>(), schemaVersion);
    }

    /** The same snapshots, seen by states of another schema version. */
    public <T> MemorySnapshotStore<T> withSchemaVersion(int otherSchemaVersion) {
        return new MemorySnapshotStore<>(snapshots, otherSchemaVersion);
    }

    @Override
    @SuppressWarnings("unchecked")
    public Optional<VersionedAggregate<S>> getSnapshot(String aggregateId) {
        Objects.requireNonNull(aggregateId, "aggregateId");
        synchronized (snapshots) {
            for (Stored stored : snapshots.getOrDefault(aggregateId, List.of())) {
                if (stored.schemaVersion() == schemaVersion) {
                    return Optional.of((VersionedAggregate<S>) (VersionedAggregate<?>) stored.snapshot());
                }
            }
            return Optional.empty();
        }
    }

    @Override
    @SuppressWarnings("unchecked")
    public void persistSnapshot(String aggregateId, VersionedAggregate<S> snapshot) {
        Names.checkVerbatim("aggregate id", aggregateId, StreamId.MAX_ID_LENGTH);
        Objects.requireNonNull(snapshot, "snapshot");
        synchronized (snapshots) {
            List<Stored> kept = snapshots.computeIfAbsent(aggregateId, id -> new ArrayList<>());
            for (Stored stored : kept) {
                if (stored.schemaVersion() == schemaVersion
                        && stored.snapshot().version().compareTo(snapshot.version()) >= 0) {
                    return;
                }
            }
            kept.add(0, new Stored(schemaVersion, (VersionedAggregate<Object>) (VersionedAggregate<?>) snapshot));
            while (kept.size() > KEPT_PER_AGGREGATE) {
                kept.remove(kept.size() - 1);
            }
        }
    }
}
