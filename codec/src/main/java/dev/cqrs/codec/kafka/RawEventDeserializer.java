package dev.cqrs.codec.kafka;

import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads an event topic's values as {@link PublishedEvent}s with the payload as stored (for a
 * consumer that decodes itself, or only routes, counts or archives), with no registry and no event
 * classes: {@code value.deserializer=dev.cqrs.codec.kafka.RawEventDeserializer}.
 *
 * <p>Needs the record's headers: {@link #deserialize(String, byte[])} refuses. A record that was not
 * published by the relay fails with an {@code IllegalArgumentException} that names the topic and the
 * missing header (the consumer's {@code poll} then throws Kafka's
 * {@code RecordDeserializationException} with the partition and offset).
 */
public final class RawEventDeserializer implements Deserializer<PublishedEvent<byte[]>> {

    @Override
    public PublishedEvent<byte[]> deserialize(String topic, byte[] data) {
        return PublishedEvent.fromHeaders(null, data, topic);
    }

    @Override
    public PublishedEvent<byte[]> deserialize(String topic, Headers headers, byte[] data) {
        return PublishedEvent.fromHeaders(headers, data, topic);
    }
}
