package dev.cqrs.core;

/** Reads and writes snapshots of one aggregate type. */
public interface SnapshotStore<S> extends SnapshotSource<S>, SnapshotSink<S> {
}
