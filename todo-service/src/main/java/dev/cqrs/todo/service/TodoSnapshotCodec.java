package dev.cqrs.todo.service;

import dev.cqrs.codec.json.JsonStateCodec;
import dev.cqrs.core.codec.StateCodec;
import dev.cqrs.todo.domain.TodoState;
import java.time.Instant;
import java.util.Optional;

/**
 * Snapshots of a to-do's state as JSON, through a record of their own so that the domain's sealed
 * state needs no serialisation annotations. A snapshot without a description is a to-do not created.
 */
final class TodoSnapshotCodec implements StateCodec<TodoState> {

    record Snapshot(Optional<String> description, Optional<Instant> reminder, boolean completed) {
    }

    private final JsonStateCodec<Snapshot> json = JsonStateCodec.of(Snapshot.class);

    @Override
    public String contentType() {
        return json.contentType();
    }

    @Override
    public byte[] encode(TodoState state) {
        return json.encode(switch (state) {
            case TodoState.Absent absent -> new Snapshot(Optional.empty(), Optional.empty(), false);
            case TodoState.Todo todo -> new Snapshot(Optional.of(todo.description()), todo.reminder(), todo.completed());
        });
    }

    @Override
    public TodoState decode(byte[] bytes) {
        Snapshot snapshot = json.decode(bytes);
        return snapshot.description()
                .<TodoState>map(description -> new TodoState.Todo(description, snapshot.reminder(), snapshot.completed()))
                .orElseGet(TodoState.Absent::new);
    }
}
