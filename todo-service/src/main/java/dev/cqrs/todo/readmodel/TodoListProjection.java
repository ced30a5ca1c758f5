package dev.cqrs.todo.readmodel;

import dev.cqrs.codec.kafka.EventTopic;
import dev.cqrs.projector.PostgresProjection;
import dev.cqrs.core.RecordedEvent;
import dev.cqrs.projector.SqlWriter;
import dev.cqrs.todo.domain.TodoEvent;
import dev.cqrs.todo.domain.TodoEvent.Completed;
import dev.cqrs.todo.domain.TodoEvent.Created;
import dev.cqrs.todo.domain.TodoEvent.DescriptionUpdated;
import dev.cqrs.todo.domain.TodoEvent.ReminderUpdated;
import dev.cqrs.todo.domain.TodoEvent.Uncompleted;

/**
 * The to-do list read model: one row per to-do in the table (and reader view) {@value #VIEW}.
 *
 * <pre>
 * id               the to-do's id
 * description      as of the latest event applied
 * reminder         or null
 * completed
 * version          the sequence number of the latest event applied
 * position         the global position of the latest event applied; every update is guarded by it,
 *                  so a redelivered or older event never moves a row backwards
 * created_position the global position of Created: unique and never changing, it orders the list
 *                  and is what a page cursor holds, so paging is stable while to-dos are added
 * created_at, updated_at  when the store recorded the first and the latest event
 * </pre>
 */
public final class TodoListProjection {

    /** The projection's name: its schemas are {@code todo_list_g<generation>}. */
    public static final String NAME = "todo_list";
    /** The table, and the view in the read schema that queries read. */
    public static final String VIEW = "todos";

    static final String SCHEMA = """
            CREATE TABLE todos (
                id               text        PRIMARY KEY,
                description      text        NOT NULL,
                reminder         timestamptz,
                completed        boolean     NOT NULL DEFAULT false,
                version          bigint      NOT NULL,
                position         bigint      NOT NULL,
                created_position bigint      NOT NULL,
                created_at       timestamptz NOT NULL,
                updated_at       timestamptz NOT NULL
            );
            CREATE UNIQUE INDEX todos_by_creation ON todos (created_position);
            """;

    private TodoListProjection() {
    }

    /** The projection of the to-do events the relay publishes ({@code events}). */
    public static PostgresProjection<TodoEvent> create(EventTopic<TodoEvent> events) {
        return PostgresProjection.builder(NAME, events)
                .schema(SCHEMA)
                .views(VIEW)
                .on(Created.class, (e, sql) -> sql.execute(
                        "INSERT INTO todos (id, description, version, position, created_position, created_at, updated_at)"
                                + " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
                        e.aggregateId(), e.event().description(), e.sequence().value(), e.globalPosition(),
                        e.globalPosition(), recordedAt(e), recordedAt(e)))
                .on(DescriptionUpdated.class, (e, sql) -> update(e, sql, "description = ?", e.event().description()))
                .on(ReminderUpdated.class, (e, sql) -> update(e, sql, "reminder = ?",
                        SqlWriter.timestamp(e.event().reminder().orElse(null))))
                .on(Completed.class, (e, sql) -> update(e, sql, "completed = ?", true))
                .on(Uncompleted.class, (e, sql) -> update(e, sql, "completed = ?", false))
                .build();
    }

    /** Sets one column, and the version and position, unless the row already reflects a later event. */
    private static void update(RecordedEvent<? extends TodoEvent> e, SqlWriter sql, String assignment, Object value) {
        sql.execute("UPDATE todos SET " + assignment + ", version = ?, position = ?, updated_at = ?"
                        + " WHERE id = ? AND position < ?",
                value, e.sequence().value(), e.globalPosition(), recordedAt(e), e.aggregateId(), e.globalPosition());
    }

    private static Object recordedAt(RecordedEvent<?> e) {
        return SqlWriter.timestamp(e.metadata().recordedAt());
    }
}
