package dev.cqrs.todo.domain;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/** A to-do as its events leave it: not created yet, or a to-do. */
public sealed interface TodoState {

    /** Before {@code Created}. */
    record Absent() implements TodoState {
    }

    record Todo(String description, Optional<Instant> reminder, boolean completed) implements TodoState {
        public Todo {
            Objects.requireNonNull(description, "description");
            Objects.requireNonNull(reminder, "reminder");
        }

        Todo withDescription(String newDescription) {
            return new Todo(newDescription, reminder, completed);
        }

        Todo withReminder(Optional<Instant> newReminder) {
            return new Todo(description, newReminder, completed);
        }

        Todo withCompleted(boolean isCompleted) {
            return new Todo(description, reminder, isCompleted);
        }
    }
}
