package dev.cqrs.todo.readmodel;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A to-do as the read model holds it.
 *
 * @param version         the sequence number of the latest event reflected
 * @param position        the global position of that event
 * @param createdPosition the global position of its Created event: its place in the list
 */
public record TodoRow(String id, String description, Optional<Instant> reminder, boolean completed, long version,
                      long position, long createdPosition) {

    public TodoRow {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(description, "description");
        Objects.requireNonNull(reminder, "reminder");
    }
}
