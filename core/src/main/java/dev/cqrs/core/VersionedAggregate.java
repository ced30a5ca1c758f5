package dev.cqrs.core;

import java.util.Objects;

/** An aggregate's state and the version it reflects: what a snapshot holds. */
public record VersionedAggregate<S>(Version version, S state) {

    public VersionedAggregate {
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(state, "state");
    }
}
