package dev.cqrs.codec.kafka;

import dev.cqrs.codec.registry.SchemaRegistryClient;
import dev.cqrs.core.Event;
import dev.cqrs.core.codec.EncodedEvent;
import dev.cqrs.core.codec.EventCodec;
import java.util.Objects;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * A {@code Serde} of event topic values for Kafka Streams:
 * <pre>{@code
 * KStream<String, PublishedEvent<TodoEvent>> todos = builder.stream("events.todo",
 *         Consumed.with(Serdes.String(), EventSerde.typed(TodoEvent.class, "todo", registry)));
 * }</pre>
 * Decoding is {@link EventDeserializer}'s (or {@link RawEventDeserializer}'s); serializing (a
 * repartition, a copy to a topic of one's own) writes the headers as the relay does and encodes the
 * event with the given codec, so that the deserializer reads it back the same.
 *
 * @param <E> the event type, or {@code byte[]} for {@link #raw()}
 */
public final class EventSerde<E> implements Serde<PublishedEvent<E>> {

    private final Serializer<PublishedEvent<E>> serializer;
    private final Deserializer<PublishedEvent<E>> deserializer;

    private EventSerde(Serializer<PublishedEvent<E>> serializer, Deserializer<PublishedEvent<E>> deserializer) {
        this.serializer = serializer;
        this.deserializer = deserializer;
    }

    /**
     * Decoded events of {@code events} (Avro with {@code namespace} through {@code registry}, or
     * JSON); serialized with {@code codec}, e.g. the service's {@code AvroEventCodec}.
     */
    public static <E extends Event> EventSerde<E> typed(Class<E> events, String namespace, SchemaRegistryClient registry,
                                                        EventCodec<E> codec) {
        Objects.requireNonNull(codec, "codec");
        EventDeserializer<E> deserializer = new EventDeserializer<>(events, namespace, registry);
        return new EventSerde<>(new Writer<>(event -> codec.encode(event.event())), deserializer);
    }

    /** Decoded events of {@code events}, serialized as Avro with {@code namespace} through {@code registry}. */
    public static <E extends Event> EventSerde<E> typed(Class<E> events, String namespace, SchemaRegistryClient registry) {
        return typed(events, namespace, registry,
                dev.cqrs.codec.avro.AvroEventCodec.builder(events, namespace, registry).build());
    }

    /** The payloads as stored, written back unchanged: no registry, no event classes. */
    public static EventSerde<byte[]> raw() {
        return new EventSerde<>(new Writer<>(event -> new EncodedEvent(event.eventType(), event.contentType(),
                event.event())), new RawEventDeserializer());
    }

    @Override
    public Serializer<PublishedEvent<E>> serializer() {
        return serializer;
    }

    @Override
    public Deserializer<PublishedEvent<E>> deserializer() {
        return deserializer;
    }

    /** Encodes the payload and writes the headers; the headers carry what the payload does not. */
    private record Writer<E>(java.util.function.Function<PublishedEvent<E>, EncodedEvent> encode)
            implements Serializer<PublishedEvent<E>> {

        @Override
        public byte[] serialize(String topic, PublishedEvent<E> event) {
            throw new IllegalStateException("an event's type, encoding and position travel in the record's headers:"
                    + " use serialize(topic, headers, event) (Kafka Streams and KafkaProducer do)");
        }

        @Override
        public byte[] serialize(String topic, Headers headers, PublishedEvent<E> event) {
            if (event == null) {
                return null;
            }
            EncodedEvent encoded = encode.apply(event);
            new PublishedEvent<>(event.aggregateType(), event.sequence(), event.globalPosition(), encoded.eventType(),
                    encoded.contentType(), event.metadata(), encoded.payload()).writeHeaders(headers);
            return encoded.payload();
        }
    }
}
