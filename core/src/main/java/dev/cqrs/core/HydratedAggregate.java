package dev.cqrs.core;

import java.util.Objects;
import java.util.Optional;

/**
 * An aggregate loaded from a store: its state, its version, and the version of the snapshot it was
 * started from (if any), which a {@link SnapshotStrategy} needs to decide on the next snapshot.
 */
public record HydratedAggregate<S>(Version version, Optional<Version> snapshotVersion, S state) {

    public HydratedAggregate {
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(snapshotVersion, "snapshotVersion");
        Objects.requireNonNull(state, "state");
    }

    /** An aggregate with no events and no snapshot. */
    public static <S> HydratedAggregate<S> initial(S initialState) {
        return new HydratedAggregate<>(Version.INITIAL, Optional.empty(), initialState);
    }

    public VersionedAggregate<S> toVersioned() {
        return new VersionedAggregate<>(version, state);
    }
}
