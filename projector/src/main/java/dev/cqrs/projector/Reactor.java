package dev.cqrs.projector;

import dev.cqrs.codec.kafka.EventTopic;
import dev.cqrs.core.CommandMetadata;
import dev.cqrs.core.EventHandlers;
import dev.cqrs.core.Names;
import dev.cqrs.core.codec.EventCodec;
import dev.cqrs.core.reaction.Reaction;
import dev.cqrs.core.RecordedEvent;
import dev.cqrs.core.reaction.ReactionPredicate;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Runs a reaction on the events of a topic. One of two kinds:
 * <ul>
 *   <li>{@link Commands}: the reaction issues commands (through an entity store). Made from typed
 *       handlers, registered as a projection's are, each of which gets the event and the metadata of the
 *       command it causes, filled in ({@link RecordedEvent#causedCommand}: an idempotency key of the reactor
 *       and the event, so that a redelivered event cannot repeat the effect; the event as its cause; the
 *       event's correlation id):
 * <pre>{@code
 * Reactor<TodoEvent> reminders = Reactor.reacting("reminders", relayConfig.eventTopic("todo", codec))
 *         .on(TodoEvent.ReminderSet.class, (e, command) -> scheduler.execute(e.aggregateId(), ..., command))
 *         .build();
 * }</pre>
 *       Or from a {@link Reaction} of cqrs-core ({@link #commands}).</li>
 *   <li>{@link ToTopic}: the reaction returns records that are produced in the same Kafka transaction
 *       as the input's offsets (exactly once, by exactly_once_v2).</li>
 * </ul>
 * A reaction that keeps failing sends the event to the reactor's dead-letter topic and goes on.
 */
public abstract sealed class Reactor<E> permits Reactor.Commands, Reactor.ToTopic {

    /** Records that a {@link #toTopic} reaction produces for one event. */
    @FunctionalInterface
    public interface Emitter<E> {
        List<Output> react(RecordedEvent<E> event) throws Exception;
    }

    /** Reacts to one event type. */
    @FunctionalInterface
    public interface Handler<T> {
        /**
         * @param command the metadata for the command this event causes: {@code event.causedCommand(reactor name)}
         */
        void react(RecordedEvent<T> event, CommandMetadata command) throws Exception;
    }

    /** One record to produce: key and value bytes. */
    public record Output(String key, byte[] value) {
        public Output {
            Objects.requireNonNull(value, "value");
        }
    }

    private final String name;
    private final String topic;
    private final EventCodec<E> codec;

    private Reactor(String name, String topic, EventCodec<E> codec) {
        this.name = Names.checkVerbatim("reactor name", name, 100);
        this.topic = Names.checkVerbatim("topic", topic, 249);
        this.codec = Objects.requireNonNull(codec, "codec");
    }

    /** A reactor that runs {@code reaction} (which issues commands) on {@code events}. */
    public static <E> Reactor<E> commands(EventTopic<E> events, Reaction<E> reaction) {
        return commands(events.name(), events.codec(), reaction);
    }

    /** {@link #commands(EventTopic, Reaction)} with the topic and its codec given one by one. */
    public static <E> Reactor<E> commands(String topic, EventCodec<E> codec, Reaction<E> reaction) {
        return new Commands<>(reaction.name(), topic, codec, reaction);
    }

    /**
     * A command reactor made of a handler per event type, matched as a projection's handlers are (a handler
     * of a supertype serves its subtypes; a second handler for one type is refused); events of other types
     * are passed by.
     */
    public static <E> Builder<E> reacting(String name, EventTopic<E> events) {
        return new Builder<>(name, events.name(), events.codec());
    }

    /** {@link #reacting(String, EventTopic)} with the topic and its codec given one by one. */
    public static <E> Builder<E> reacting(String name, String topic, EventCodec<E> codec) {
        return new Builder<>(name, topic, codec);
    }

    /** A reactor that produces what {@code emitter} returns for {@code events} to {@code outputTopic}. */
    public static <E> Reactor<E> toTopic(String name, EventTopic<E> events, String outputTopic, Emitter<E> emitter) {
        return toTopic(name, events.name(), events.codec(), outputTopic, emitter);
    }

    /** {@link #toTopic(String, EventTopic, String, Emitter)} with the topic and its codec given one by one. */
    public static <E> Reactor<E> toTopic(String name, String topic, EventCodec<E> codec, String outputTopic, Emitter<E> emitter) {
        return new ToTopic<>(name, topic, codec, Names.checkVerbatim("output topic", outputTopic, 249), emitter);
    }

    public String name() {
        return name;
    }

    String topic() {
        return topic;
    }

    EventCodec<E> codec() {
        return codec;
    }

    /** The reaction of a command reactor; none for a reactor to a topic. */
    Optional<Reaction<E>> reaction() {
        return this instanceof Commands<E> commands ? Optional.of(commands.reaction) : Optional.empty();
    }

    /** A reactor whose reaction issues commands. */
    public static final class Commands<E> extends Reactor<E> {
        private final Reaction<E> reaction;

        private Commands(String name, String topic, EventCodec<E> codec, Reaction<E> reaction) {
            super(name, topic, codec);
            this.reaction = Objects.requireNonNull(reaction, "reaction");
        }
    }

    /** A reactor whose reaction produces records to a topic, exactly once with its input's offsets. */
    public static final class ToTopic<E> extends Reactor<E> {
        private final String outputTopic;
        private final Emitter<E> emitter;

        private ToTopic(String name, String topic, EventCodec<E> codec, String outputTopic, Emitter<E> emitter) {
            super(name, topic, codec);
            this.outputTopic = outputTopic;
            this.emitter = Objects.requireNonNull(emitter, "emitter");
        }

        String outputTopic() {
            return outputTopic;
        }

        Emitter<E> emitter() {
            return emitter;
        }
    }

    /** Collects the handlers of a command reactor. */
    public static final class Builder<E> {
        private final String name;
        private final String topic;
        private final EventCodec<E> codec;
        private final EventHandlers.Builder<E, Handler<?>> handlers;

        private Builder(String name, String topic, EventCodec<E> codec) {
            this.name = name;
            this.topic = topic;
            this.codec = codec;
            this.handlers = EventHandlers.builder("reactor " + name);
        }

        /** The handler of events of {@code type}, and of its subtypes that have none of their own. */
        public <T extends E> Builder<E> on(Class<T> type, Handler<T> handler) {
            handlers.on(type, handler);
            return this;
        }

        public Reactor<E> build() {
            EventHandlers<E, Handler<?>> built = handlers.build();
            if (built.isEmpty()) {
                throw new IllegalArgumentException("reactor " + name + " has no handler");
            }
            return new Commands<>(name, topic, codec, new Reaction<>() {
                @Override
                public String name() {
                    return name;
                }

                @Override
                public ReactionPredicate predicate() {
                    return ReactionPredicate.all();
                }

                @Override
                @SuppressWarnings({"unchecked", "rawtypes"})
                public void react(RecordedEvent<E> event) throws Exception {
                    Optional<Handler<?>> handler = built.find(event.event().getClass());
                    if (handler.isPresent()) {
                        ((Handler) handler.get()).react(event, event.causedCommand(name));
                    }
                }
            });
        }
    }
}
