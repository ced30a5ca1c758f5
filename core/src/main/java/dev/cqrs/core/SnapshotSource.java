package dev.cqrs.core;

import java.util.Optional;

/**
 * Reads snapshots of one aggregate type. A source is bound to one state schema version (see
 * {@link Aggregate#stateSchemaVersion()}) and never returns a snapshot of another.
 */
public interface SnapshotSource<S> {

    /** The latest snapshot of the aggregate in this source's schema version, if any. */
    Optional<VersionedAggregate<S>> getSnapshot(String aggregateId);
}
