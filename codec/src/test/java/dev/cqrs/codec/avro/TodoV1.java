package dev.cqrs.codec.avro;

import dev.cqrs.core.Event;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** Version 1 of a to-do's events, as an old deployment writes them. */
public sealed interface TodoV1 extends Event {

    record Created(UUID id, String description, Instant at, List<Tag> tags, Priority priority) implements TodoV1 {
    }

    record Completed() implements TodoV1 {
    }

    /** Renamed to {@link TodoV2.TitleChanged} in version 2. */
    record Renamed(String name) implements TodoV1 {
    }

    /** Split into a first and a last name in version 2. */
    record NameChanged(String fullName) implements TodoV1 {
    }

    record Attached(byte[] data, Optional<String> mediaType) implements TodoV1 {
    }
}
