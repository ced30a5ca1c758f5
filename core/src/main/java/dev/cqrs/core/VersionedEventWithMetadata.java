package dev.cqrs.core;

import java.util.Objects;

/** An event with its number in its stream and its metadata. */
public record VersionedEventWithMetadata<E>(EventNumber sequence, E event, EventMetadata metadata) {

    public VersionedEventWithMetadata {
        Objects.requireNonNull(sequence, "sequence");
        Objects.requireNonNull(event, "event");
        Objects.requireNonNull(metadata, "metadata");
    }

    public VersionedEvent<E> withoutMetadata() {
        return new VersionedEvent<>(sequence, event);
    }
}
