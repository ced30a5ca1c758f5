package dev.cqrs.core;

/** Writes snapshots of one aggregate type, tagged with the state's schema version. */
public interface SnapshotSink<S> {

    /**
     * Keeps {@code snapshot} as the aggregate's latest. A snapshot older than one already kept is
     * ignored, so concurrent writers cannot move it backwards.
     */
    void persistSnapshot(String aggregateId, VersionedAggregate<S> snapshot);
}
