package dev.cqrs.core;

/** What a {@link SnapshotStrategy} advises after an append. */
public enum SnapshotRecommendation {
    SHOULD_SNAPSHOT,
    DO_NOT_SNAPSHOT
}
