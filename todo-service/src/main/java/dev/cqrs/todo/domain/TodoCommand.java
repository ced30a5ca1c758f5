package dev.cqrs.todo.domain;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/** What a client can ask of a to-do. */
public sealed interface TodoCommand {

    /** Creates the to-do; with a reminder, it also sets it (two events, as in the seed). */
    record CreateTodo(String description, Optional<Instant> reminder) implements TodoCommand {
        public CreateTodo {
            Objects.requireNonNull(description, "description");
            Objects.requireNonNull(reminder, "reminder");
        }
    }

    record UpdateDescription(String description) implements TodoCommand {
        public UpdateDescription {
            Objects.requireNonNull(description, "description");
        }
    }

    record SetReminder(Instant reminder) implements TodoCommand {
        public SetReminder {
            Objects.requireNonNull(reminder, "reminder");
        }
    }

    record CancelReminder() implements TodoCommand {
    }

    record ToggleCompletion() implements TodoCommand {
    }

    record MarkCompleted() implements TodoCommand {
    }

    record ResetCompleted() implements TodoCommand {
    }
}
