package dev.cqrs.codec.avro;

import dev.cqrs.core.Event;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** Version 2: compatible changes, plus changes that need upcasters. */
public sealed interface TodoV2 extends Event {

    /** Gained a reminder: an Optional, so it has a default and the change is compatible. */
    record Created(UUID id, String description, Instant at, List<Tag> tags, Priority priority, Optional<Instant> reminder)
            implements TodoV2 {
    }

    record Completed() implements TodoV2 {
    }

    /** Was {@link TodoV1.Renamed}, with {@code name} for {@code title}. */
    record TitleChanged(String title) implements TodoV2 {
    }

    /** Was {@link TodoV1.NameChanged} with one {@code fullName}. */
    record NameChanged(Optional<String> first, Optional<String> last) implements TodoV2 {
    }
}
