package dev.cqrs.codec.kafka;

import dev.cqrs.core.EventMetadata;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * An event as a consumer of an event topic sees it: what the record's headers say (see
 * {@link EventRecords}) and its payload, decoded ({@link EventDeserializer}) or as stored
 * ({@link RawEventDeserializer}). The aggregate id is the record's key.
 *
 * @param aggregateType  e.g. {@code todo} (header {@code cqrs-aggregate-type})
 * @param sequence       the event's number in its aggregate's stream, from 1, without gaps
 *                       ({@code cqrs-sequence})
 * @param globalPosition the event's position in the store's global log: increasing in commit order,
 *                       with gaps ({@code cqrs-global-position}); increasing within a partition too
 * @param eventType      e.g. {@code Created} ({@code cqrs-event-type})
 * @param contentType    how the payload is encoded ({@code cqrs-content-type}), e.g.
 *                       {@code application/vnd.cqrs.avro}: Confluent's wire format
 * @param metadata       event id, correlation and causation ids, who initiated it, when it was
 *                       recorded, and the command's free headers ({@code cqrs-h-*})
 * @param event          the decoded event, or the payload bytes
 * @param <E>            the aggregate's event type, or {@code byte[]}
 */
public record PublishedEvent<E>(
        String aggregateType,
        long sequence,
        long globalPosition,
        String eventType,
        String contentType,
        EventMetadata metadata,
        E event) {

    public PublishedEvent {
        Objects.requireNonNull(aggregateType, "aggregateType");
        Objects.requireNonNull(eventType, "eventType");
        Objects.requireNonNull(contentType, "contentType");
        Objects.requireNonNull(metadata, "metadata");
        Objects.requireNonNull(event, "event");
    }

    /** The same event with another payload, e.g. decoded. */
    public <T> PublishedEvent<T> withEvent(T other) {
        return new PublishedEvent<>(aggregateType, sequence, globalPosition, eventType, contentType, metadata, other);
    }

    @Override
    public String toString() {
        return "PublishedEvent[" + aggregateType + "#" + sequence + " at " + globalPosition + " " + eventType + " "
                + (event instanceof byte[] bytes ? bytes.length + " bytes " + contentType : event) + "]";
    }

    /**
     * The event that a record's headers and value carry, its payload as stored.
     *
     * @param where names the record in an error message, e.g. the topic
     * @throws IllegalArgumentException when a header the relay writes is missing or malformed
     */
    static PublishedEvent<byte[]> fromHeaders(Headers headers, byte[] value, String where) {
        if (headers == null) {
            throw new IllegalArgumentException("a record of " + where + " came without headers: an event's type,"
                    + " encoding and position travel in them (use deserialize(topic, headers, data))");
        }
        try {
            Map<String, String> free = new HashMap<>();
            for (Header header : headers) {
                if (header.key().startsWith(EventRecords.HEADER_PREFIX)) {
                    free.put(header.key().substring(EventRecords.HEADER_PREFIX.length()), text(header));
                }
            }
            EventMetadata metadata = new EventMetadata(
                    UUID.fromString(required(headers, EventRecords.EVENT_ID)),
                    UUID.fromString(required(headers, EventRecords.CORRELATION_ID)),
                    optional(headers, EventRecords.CAUSATION_ID).map(UUID::fromString),
                    optional(headers, EventRecords.INITIATED_BY),
                    Instant.parse(required(headers, EventRecords.RECORDED_AT)),
                    free);
            return new PublishedEvent<>(
                    required(headers, EventRecords.AGGREGATE_TYPE),
                    Long.parseLong(required(headers, EventRecords.SEQUENCE)),
                    Long.parseLong(required(headers, EventRecords.GLOBAL_POSITION)),
                    required(headers, EventRecords.EVENT_TYPE),
                    required(headers, EventRecords.CONTENT_TYPE),
                    metadata,
                    value == null ? new byte[0] : value);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("a record of " + where + " is not an event published by the relay: "
                    + e.getMessage(), e);
        }
    }

    /** Writes this event's headers, as the relay writes them, in place of any {@code cqrs-} header there. */
    void writeHeaders(Headers headers) {
        for (Header header : headers.toArray()) {
            if (header.key().startsWith("cqrs-")) {
                headers.remove(header.key());
            }
        }
        add(headers, EventRecords.EVENT_TYPE, eventType);
        add(headers, EventRecords.CONTENT_TYPE, contentType);
        add(headers, EventRecords.AGGREGATE_TYPE, aggregateType);
        add(headers, EventRecords.SEQUENCE, Long.toString(sequence));
        add(headers, EventRecords.GLOBAL_POSITION, Long.toString(globalPosition));
        add(headers, EventRecords.EVENT_ID, metadata.eventId().toString());
        add(headers, EventRecords.CORRELATION_ID, metadata.correlationId().toString());
        metadata.causationId().ifPresent(id -> add(headers, EventRecords.CAUSATION_ID, id.toString()));
        metadata.initiatedBy().ifPresent(who -> add(headers, EventRecords.INITIATED_BY, who));
        add(headers, EventRecords.RECORDED_AT, metadata.recordedAt().toString());
        metadata.headers().forEach((name, value) -> add(headers, EventRecords.HEADER_PREFIX + name, value));
    }

    private static void add(Headers headers, String name, String value) {
        headers.add(name, value.getBytes(StandardCharsets.UTF_8));
    }

    private static String required(Headers headers, String name) {
        return optional(headers, name).orElseThrow(() -> new IllegalArgumentException("header " + name + " is missing"));
    }

    private static Optional<String> optional(Headers headers, String name) {
        Header header = headers.lastHeader(name);
        return header == null ? Optional.empty() : Optional.of(text(header));
    }

    private static String text(Header header) {
        return header.value() == null ? "" : new String(header.value(), StandardCharsets.UTF_8);
    }
}
