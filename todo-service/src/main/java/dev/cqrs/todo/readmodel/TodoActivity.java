package dev.cqrs.todo.readmodel;

import dev.cqrs.codec.json.JsonStateCodec;
import dev.cqrs.codec.kafka.EventTopic;
import dev.cqrs.core.RecordedEvent;
import dev.cqrs.projector.StateProjection;
import dev.cqrs.todo.domain.TodoEvent;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * Activity counters of one to-do, kept in a Kafka Streams state store (the state projection
 * {@value #NAME}): a read model that lives beside the stream, queried from the projector's process.
 *
 * @param eventCount      events seen
 * @param completions     how often the to-do was completed
 * @param lastEventType   the type of the latest event
 * @param lastChangedAt   when the store recorded the latest event
 * @param lastInitiatedBy who issued the latest command, when known
 */
public record TodoActivity(long eventCount, long completions, Optional<String> lastEventType,
                           Optional<Instant> lastChangedAt, Optional<String> lastInitiatedBy) {

    /** The state projection's name, also its state store's. */
    public static final String NAME = "todo_activity";

    public static final TodoActivity NONE = new TodoActivity(0, 0, Optional.empty(), Optional.empty(), Optional.empty());

    public TodoActivity {
        Objects.requireNonNull(lastEventType, "lastEventType");
        Objects.requireNonNull(lastChangedAt, "lastChangedAt");
        Objects.requireNonNull(lastInitiatedBy, "lastInitiatedBy");
    }

    /** The state projection of the to-do events the relay publishes ({@code events}). */
    public static StateProjection<TodoActivity, TodoEvent> projection(EventTopic<TodoEvent> events) {
        return StateProjection.<TodoActivity, TodoEvent>builder(NAME, events, JsonStateCodec.of(TodoActivity.class))
                .initial(NONE)
                .on(TodoEvent.Created.class, TodoActivity::seen)
                .on(TodoEvent.DescriptionUpdated.class, TodoActivity::seen)
                .on(TodoEvent.ReminderUpdated.class, TodoActivity::seen)
                .on(TodoEvent.Completed.class, (activity, e) -> {
                    TodoActivity seen = activity.seen(e);
                    return new TodoActivity(seen.eventCount, seen.completions + 1, seen.lastEventType, seen.lastChangedAt,
                            seen.lastInitiatedBy);
                })
                .on(TodoEvent.Uncompleted.class, TodoActivity::seen)
                .build();
    }

    private TodoActivity seen(RecordedEvent<? extends TodoEvent> e) {
        return new TodoActivity(eventCount + 1, completions, Optional.of(e.event().eventType()),
                Optional.of(e.metadata().recordedAt()), e.metadata().initiatedBy());
    }
}
