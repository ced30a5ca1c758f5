package dev.cqrs.projector;

import dev.cqrs.codec.kafka.EventTopic;
import dev.cqrs.core.EventHandlers;
import dev.cqrs.core.Names;
import dev.cqrs.core.RecordedEvent;
import dev.cqrs.core.codec.EventCodec;
import dev.cqrs.core.Tag;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A read model in PostgreSQL: tables made by a DDL script, kept up to date by a handler per event type.
 *
 * <pre>{@code
 * PostgresProjection<TodoEvent> todos = PostgresProjection.builder("todos", "events.todo", codec)
 *         .schema("CREATE TABLE todo_list (id text PRIMARY KEY, description text NOT NULL, position bigint NOT NULL)")
 *         .views("todo_list")
 *         .on(Created.class, (e, sql) -> sql.execute(
 *                 "INSERT INTO todo_list (id, description, position) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING",
 *                 e.aggregateId(), e.event().description(), e.globalPosition()))
 *         .build();
 * }</pre>
 *
 * <p>Each generation of the projection (a rebuild makes a new one) has a schema of its own,
 * {@code <name>_g<generation>}, where the script runs and the handlers write. Readers use the views
 * named here, in the projector's read schema, which point at the active generation and are switched
 * atomically when a rebuild completes. Events of types with no handler are skipped.
 *
 * <p>A projection can select events by tag ({@link Builder#selectTagged}): then only the events that carry
 * a tag with one of the given keys reach its handlers, whichever stream they belong to; the others are
 * skipped as if they had no handler. A handler reads a tag's value with {@link RecordedEvent#tagValue},
 * e.g. to key a student's timetable by {@code student:s7} while the events belong to courses' streams.
 *
 * <p>Handlers must be deterministic and free of I/O: they run again for a batch that failed. Each
 * event is applied at most once per generation (the projector keeps each partition's last position in
 * the same transaction as the rows); guarding rows by position as well ({@code WHERE position < ?})
 * makes a handler safe on its own.
 */
public final class PostgresProjection<E> {

    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_]{0,40}");

    /** Handles one event type. */
    @FunctionalInterface
    public interface Handler<T> {
        void apply(RecordedEvent<T> event, SqlWriter sql) throws Exception;
    }

    private final String name;
    private final List<String> topics;
    private final EventCodec<E> codec;
    private final String schemaScript;
    private final List<String> views;
    private final EventHandlers<E, Handler<?>> handlers;
    private final Set<String> tagKeys;

    private PostgresProjection(Builder<E> b) {
        this.name = b.name;
        this.topics = List.copyOf(b.topics);
        this.codec = b.codec;
        this.schemaScript = Objects.requireNonNull(b.schemaScript, "the projection needs a schema script");
        this.views = List.copyOf(b.views);
        this.handlers = b.handlers.build();
        this.tagKeys = Set.copyOf(b.tagKeys);
    }

    /**
     * @param name   lower-case letters, digits and {@code _}: names the projection's schemas and its Kafka
     *               Streams application
     * @param events the events it reads: {@code relayConfig.eventTopic(aggregateType, codec)} for this
     *               service's own, {@link EventTopic#of} for another's
     */
    public static <E> Builder<E> builder(String name, EventTopic<E> events) {
        return new Builder<>(name, events.name(), events.codec());
    }

    /** {@link #builder(String, EventTopic)} with the topic and its codec given one by one. */
    public static <E> Builder<E> builder(String name, String topic, EventCodec<E> codec) {
        return new Builder<>(name, topic, codec);
    }

    public String name() {
        return name;
    }

    List<String> topics() {
        return topics;
    }

    EventCodec<E> codec() {
        return codec;
    }

    String schemaScript() {
        return schemaScript;
    }

    List<String> views() {
        return views;
    }

    /**
     * Runs the handler of the event's class, if there is one and the event is selected (see
     * {@link Builder#selectTagged}); returns whether it ran.
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    boolean apply(RecordedEvent<E> event, SqlWriter sql) throws Exception {
        if (!selects(event)) {
            return false;
        }
        Optional<Handler<?>> handler = handlers.find(event.event().getClass());
        if (handler.isEmpty()) {
            return false;
        }
        ((Handler) handler.get()).apply(event, sql);
        return true;
    }

    /** Whether the event passes the projection's tag selection (every event does, without one). */
    boolean selects(RecordedEvent<?> event) {
        if (tagKeys.isEmpty()) {
            return true;
        }
        for (Tag tag : event.tags()) {
            if (tagKeys.contains(tag.key())) {
                return true;
            }
        }
        return false;
    }

    /** Builds a {@link PostgresProjection}. */
    public static final class Builder<E> {
        private final String name;
        private final List<String> topics = new ArrayList<>();
        private final EventCodec<E> codec;
        private String schemaScript;
        private final List<String> views = new ArrayList<>();
        private final EventHandlers.Builder<E, Handler<?>> handlers;
        private final Set<String> tagKeys = new LinkedHashSet<>();

        private Builder(String name, String topic, EventCodec<E> codec) {
            if (!NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("projection name '" + name
                        + "' must be 1-41 lower-case letters, digits or _, starting with a letter");
            }
            this.name = name;
            this.handlers = EventHandlers.builder("projection " + name);
            this.topics.add(Names.checkVerbatim("topic", topic, 249));
            this.codec = Objects.requireNonNull(codec, "codec");
        }

        /** Another event topic to read (all must be decodable by the codec). */
        public Builder<E> alsoFrom(String topic) {
            topics.add(Names.checkVerbatim("topic", topic, 249));
            return this;
        }

        /** The DDL that creates the read model's tables in a fresh generation schema. */
        public Builder<E> schema(String script) {
            this.schemaScript = Objects.requireNonNull(script, "script");
            return this;
        }

        /** Tables that readers see, as views of the active generation in the read schema. */
        public Builder<E> views(String... tables) {
            for (String table : tables) {
                if (!NAME.matcher(table).matches()) {
                    throw new IllegalArgumentException("view name '" + table + "' must be a lower-case identifier");
                }
                views.add(table);
            }
            return this;
        }

        /**
         * Only events that carry a tag with one of these keys ({@code "student"} selects {@code student:s7})
         * reach the handlers; called again, it adds keys. Without it, every event of a handled type does.
         */
        public Builder<E> selectTagged(String... keys) {
            for (String key : keys) {
                Names.checkVerbatim("tag key", key, Tag.MAX_LENGTH);
                tagKeys.add(key);
            }
            return this;
        }

        /**
         * The handler of events of {@code type}, and of its subtypes that have none of their own (see
         * {@link EventHandlers}); a second handler for one type is refused.
         */
        public <T extends E> Builder<E> on(Class<T> type, Handler<T> handler) {
            handlers.on(type, handler);
            return this;
        }

        public PostgresProjection<E> build() {
            return new PostgresProjection<>(this);
        }
    }
}
