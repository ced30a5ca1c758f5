package dev.cqrs.core;

import java.util.Objects;

/** An event with its number in its stream. */
public record VersionedEvent<E>(EventNumber sequence, E event) {

    public VersionedEvent {
        Objects.requireNonNull(sequence, "sequence");
        Objects.requireNonNull(event, "event");
    }
}
