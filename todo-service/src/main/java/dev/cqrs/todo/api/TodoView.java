package dev.cqrs.todo.api;

import dev.cqrs.todo.domain.TodoState;
import dev.cqrs.todo.readmodel.TodoRow;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A to-do as the API shows it (the GraphQL type {@code Todo}), from the read model or, after a command,
 * from the aggregate.
 *
 * @param position the global position of the latest event reflected, when known
 */
record TodoView(String id, String description, Optional<Instant> reminder, boolean completed, long version,
                OptionalLong position) {

    static TodoView of(TodoRow row) {
        return new TodoView(row.id(), row.description(), row.reminder(), row.completed(), row.version(),
                OptionalLong.of(row.position()));
    }

    static TodoView of(String id, TodoState.Todo state, long version, OptionalLong position) {
        return new TodoView(id, state.description(), state.reminder(), state.completed(), version, position);
    }
}
