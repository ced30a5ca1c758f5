package dev.cqrs.codec.kafka;

import dev.cqrs.core.codec.EventCodec;
import java.util.Objects;

/**
 * A topic of events and the codec that decodes them: what a projection or a reactor reads. For the
 * events this service's relay publishes, the relay's configuration makes it
 * ({@code relayConfig.eventTopic(aggregateType, codec)}), so a consumer never restates the topic the
 * relay chose; for another service's topic, {@link #of} names it.
 *
 * @param name  the Kafka topic, e.g. {@code events.todo}
 * @param codec decodes the records' payloads
 */
public record EventTopic<E>(String name, EventCodec<E> codec) {

    public EventTopic {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(codec, "codec");
        if (name.isBlank()) {
            throw new IllegalArgumentException("an event topic needs a name");
        }
    }

    /** The events of a topic named here (another service's, say), decoded by {@code codec}. */
    public static <E> EventTopic<E> of(String name, EventCodec<E> codec) {
        return new EventTopic<>(name, codec);
    }
}
