package dev.cqrs.todo.api;

import dev.cqrs.todo.domain.TodoState;
import dev.cqrs.todo.readmodel.TodoRow;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A to-do as the API shows it (the GraphQL type {@code TodoQL}, the seed's name), from the read model or,
 * in a mutation's answer, from the aggregate the command left.
 *
 * @param position the global position of the latest event reflected, when known; in a mutation's answer,
 *                 that of the last event the command wrote (empty when it wrote none)
 * @param command  what the command did, in a mutation's answer only
 */
record TodoView(String id, String description, Optional<Instant> reminder, boolean completed, long version,
                OptionalLong position, Optional<CommandOutcome> command) {

    static TodoView of(TodoRow row) {
        return new TodoView(row.id(), row.description(), row.reminder(), row.completed(), row.version(),
                OptionalLong.of(row.position()), Optional.empty());
    }

    static TodoView of(String id, TodoState.Todo state, long version, OptionalLong position, CommandOutcome command) {
        return new TodoView(id, state.description(), state.reminder(), state.completed(), version, position, Optional.of(command));
    }
}
