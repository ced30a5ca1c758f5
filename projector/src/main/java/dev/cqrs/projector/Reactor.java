package dev.cqrs.projector;

import dev.cqrs.core.StreamId;
import dev.cqrs.core.codec.EventCodec;
import dev.cqrs.core.reaction.Reaction;
import dev.cqrs.core.reaction.ReactionEvent;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Runs a reaction on the events of a topic. Two kinds:
 * <ul>
 *   <li>{@link #commands}: the reaction issues commands (through an entity store, with
 *       {@link ReactionEvent#idempotencyKey} as their idempotency key, so that a redelivered event
 *       cannot repeat the effect);</li>
 *   <li>{@link #toTopic}: the reaction returns records that are produced in the same Kafka transaction
 *       as the input's offsets (exactly once, by exactly_once_v2).</li>
 * </ul>
 * A reaction that keeps failing sends the event to the reactor's dead-letter topic and goes on.
 */
public final class Reactor<E> {

    /** Records that a {@link #toTopic} reaction produces for one event. */
    @FunctionalInterface
    public interface Emitter<E> {
        List<Output> react(ReactionEvent<E> event) throws Exception;
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
    private final Optional<Reaction<E>> reaction;
    private final Optional<Emitter<E>> emitter;
    private final Optional<String> outputTopic;

    private Reactor(String name, String topic, EventCodec<E> codec, Optional<Reaction<E>> reaction,
                    Optional<Emitter<E>> emitter, Optional<String> outputTopic) {
        this.name = StreamId.checkName("reactor name", name, 100);
        this.topic = StreamId.checkName("topic", topic, 249);
        this.codec = Objects.requireNonNull(codec, "codec");
        this.reaction = reaction;
        this.emitter = emitter;
        this.outputTopic = outputTopic;
    }

    /** A reactor that runs {@code reaction} (which issues commands) on the events of {@code topic}. */
    public static <E> Reactor<E> commands(String topic, EventCodec<E> codec, Reaction<E> reaction) {
        return new Reactor<>(reaction.name(), topic, codec, Optional.of(reaction), Optional.empty(), Optional.empty());
    }

    /** A reactor that produces what {@code emitter} returns to {@code outputTopic}. */
    public static <E> Reactor<E> toTopic(String name, String topic, EventCodec<E> codec, String outputTopic,
                                         Emitter<E> emitter) {
        return new Reactor<>(name, topic, codec, Optional.empty(), Optional.of(emitter),
                Optional.of(StreamId.checkName("output topic", outputTopic, 249)));
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

    Optional<Reaction<E>> reaction() {
        return reaction;
    }

    Optional<Emitter<E>> emitter() {
        return emitter;
    }

    Optional<String> outputTopic() {
        return outputTopic;
    }
}
