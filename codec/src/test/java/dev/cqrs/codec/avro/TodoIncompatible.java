package dev.cqrs.codec.avro;

import dev.cqrs.core.Event;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** An incompatible version 2: {@code Created} gained a required field, which old events do not have. */
public sealed interface TodoIncompatible extends Event {

    record Created(UUID id, String description, Instant at, List<Tag> tags, Priority priority, String owner)
            implements TodoIncompatible {
    }

    record Completed() implements TodoIncompatible {
    }
}
