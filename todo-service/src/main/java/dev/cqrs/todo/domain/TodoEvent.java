package dev.cqrs.todo.domain;

import dev.cqrs.core.Event;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/** What happened to a to-do. The record names are the stored event types: do not rename them. */
public sealed interface TodoEvent extends Event {

    record Created(String description) implements TodoEvent {
        public Created {
            Objects.requireNonNull(description, "description");
        }
    }

    record DescriptionUpdated(String description) implements TodoEvent {
        public DescriptionUpdated {
            Objects.requireNonNull(description, "description");
        }
    }

    /** The reminder was set to a time, or cancelled (empty). */
    record ReminderUpdated(Optional<Instant> reminder) implements TodoEvent {
        public ReminderUpdated {
            Objects.requireNonNull(reminder, "reminder");
        }
    }

    record Completed() implements TodoEvent {
    }

    record Uncompleted() implements TodoEvent {
    }
}
