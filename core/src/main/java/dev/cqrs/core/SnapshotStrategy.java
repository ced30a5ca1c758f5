package dev.cqrs.core;

import java.util.Optional;

/** Decides when an aggregate's state is worth a snapshot. */
public interface SnapshotStrategy {

    /**
     * @param current      the aggregate's version after an append
     * @param lastSnapshot the version of its latest snapshot, or empty when there is none
     */
    SnapshotRecommendation recommend(Version current, Optional<Version> lastSnapshot);

    /** Never snapshot: the aggregate is always rebuilt from its events. */
    record Never() implements SnapshotStrategy {
        @Override
        public SnapshotRecommendation recommend(Version current, Optional<Version> lastSnapshot) {
            return SnapshotRecommendation.DO_NOT_SNAPSHOT;
        }
    }

    /** Snapshot after every append that moves the version past the last snapshot. */
    record Always() implements SnapshotStrategy {
        @Override
        public SnapshotRecommendation recommend(Version current, Optional<Version> lastSnapshot) {
            long last = lastSnapshot.map(Version::asLong).orElse(0L);
            return current.asLong() > last ? SnapshotRecommendation.SHOULD_SNAPSHOT : SnapshotRecommendation.DO_NOT_SNAPSHOT;
        }
    }

    /** Snapshot once the version is at least {@code distance} events past the last snapshot (or 0). */
    record Every(int distance) implements SnapshotStrategy {
        public Every {
            if (distance < 1) {
                throw new IllegalArgumentException("snapshot distance must be at least 1, got " + distance);
            }
        }

        @Override
        public SnapshotRecommendation recommend(Version current, Optional<Version> lastSnapshot) {
            long last = lastSnapshot.map(Version::asLong).orElse(0L);
            return current.asLong() - last >= distance ? SnapshotRecommendation.SHOULD_SNAPSHOT
                    : SnapshotRecommendation.DO_NOT_SNAPSHOT;
        }
    }

    static SnapshotStrategy never() {
        return new Never();
    }

    static SnapshotStrategy always() {
        return new Always();
    }

    static SnapshotStrategy every(int distance) {
        return new Every(distance);
    }
}
