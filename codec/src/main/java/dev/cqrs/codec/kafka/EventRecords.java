package dev.cqrs.codec.kafka;

import dev.cqrs.core.EventMetadata;
import dev.cqrs.core.EventNumber;
import dev.cqrs.core.RawEvent;
import dev.cqrs.core.StreamId;
import dev.cqrs.core.Tag;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * How an event travels on Kafka: key = aggregate id (so one aggregate's events stay in one partition,
 * in order), value = the payload bytes exactly as stored, timestamp = when it was recorded, and
 * headers for everything else, as UTF-8 text so that any console consumer can read them.
 *
 * <p>An event's tags ({@link dev.cqrs.core.Event#eventTags()}, {@code dev.cqrs.core.dcb}) travel in one header,
 * {@value #TAGS}: the tags sorted and joined by commas ({@code course:c1,student:s7}; a tag never holds a
 * comma). An untagged event has no such header.
 */
public final class EventRecords {

    public static final String EVENT_TYPE = "cqrs-event-type";
    public static final String CONTENT_TYPE = "cqrs-content-type";
    public static final String AGGREGATE_TYPE = "cqrs-aggregate-type";
    public static final String SEQUENCE = "cqrs-sequence";
    public static final String GLOBAL_POSITION = "cqrs-global-position";
    public static final String EVENT_ID = "cqrs-event-id";
    public static final String CORRELATION_ID = "cqrs-correlation-id";
    public static final String CAUSATION_ID = "cqrs-causation-id";
    public static final String INITIATED_BY = "cqrs-initiated-by";
    public static final String RECORDED_AT = "cqrs-recorded-at";
    /** The event's tags, sorted, comma-separated; absent when it has none. */
    public static final String TAGS = "cqrs-tags";
    /** The prefix of the command's free headers. */
    public static final String HEADER_PREFIX = "cqrs-h-";

    private EventRecords() {
    }

    /** The record that publishes {@code event} to {@code topic}. */
    public static ProducerRecord<String, byte[]> toRecord(String topic, RawEvent event) {
        EventMetadata metadata = event.metadata();
        RecordHeaders headers = new RecordHeaders();
        add(headers, EVENT_TYPE, event.eventType());
        add(headers, CONTENT_TYPE, event.contentType());
        add(headers, AGGREGATE_TYPE, event.stream().aggregateType());
        add(headers, SEQUENCE, Long.toString(event.sequence().value()));
        add(headers, GLOBAL_POSITION, Long.toString(event.globalPosition()));
        add(headers, EVENT_ID, metadata.eventId().toString());
        add(headers, CORRELATION_ID, metadata.correlationId().toString());
        metadata.causationId().ifPresent(id -> add(headers, CAUSATION_ID, id.toString()));
        metadata.initiatedBy().ifPresent(who -> add(headers, INITIATED_BY, who));
        add(headers, RECORDED_AT, metadata.recordedAt().toString());
        if (!event.tags().isEmpty()) {
            add(headers, TAGS, joined(event.tags()));
        }
        metadata.headers().forEach((name, value) -> add(headers, HEADER_PREFIX + name, value));
        return new ProducerRecord<>(topic, null, metadata.recordedAt().toEpochMilli(), event.stream().aggregateId(),
                event.payload(), headers);
    }

    /**
     * The event a record carries.
     *
     * @throws IllegalArgumentException when a header this format requires is missing or malformed: the
     *                                  record was not published by the relay
     */
    public static RawEvent fromRecord(ConsumerRecord<String, byte[]> record) {
        return fromParts(record.key(), record.value(), record.headers(),
                record.topic() + "-" + record.partition() + "@" + record.offset());
    }

    /**
     * The event that a record's key, value and headers carry.
     *
     * @param where names the record in an error message, e.g. {@code events.todo-2@1234}
     * @throws IllegalArgumentException when a header this format requires is missing or malformed
     */
    public static RawEvent fromParts(String key, byte[] value, Headers headers, String where) {
        if (key == null) {
            throw new IllegalArgumentException("record " + where + " is not an event published by the relay: it has no key");
        }
        try {
            Map<String, String> free = new HashMap<>();
            for (Header header : headers) {
                if (header.key().startsWith(HEADER_PREFIX)) {
                    free.put(header.key().substring(HEADER_PREFIX.length()), text(header));
                }
            }
            EventMetadata metadata = new EventMetadata(
                    UUID.fromString(required(headers, EVENT_ID)),
                    UUID.fromString(required(headers, CORRELATION_ID)),
                    optional(headers, CAUSATION_ID).map(UUID::fromString),
                    optional(headers, INITIATED_BY),
                    Instant.parse(required(headers, RECORDED_AT)),
                    free);
            return new RawEvent(
                    Long.parseLong(required(headers, GLOBAL_POSITION)),
                    StreamId.of(required(headers, AGGREGATE_TYPE), key),
                    EventNumber.of(Long.parseLong(required(headers, SEQUENCE))),
                    required(headers, EVENT_TYPE),
                    required(headers, CONTENT_TYPE),
                    value == null ? new byte[0] : value,
                    metadata,
                    optional(headers, TAGS).map(EventRecords::tags).orElse(Set.of()));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("record " + where + " is not an event published by the relay: "
                    + e.getMessage(), e);
        }
    }

    /** Tags as the {@value #TAGS} header carries them. */
    public static String joined(Set<Tag> tags) {
        StringBuilder text = new StringBuilder();
        for (Tag tag : Tag.sorted(tags)) {
            text.append(text.isEmpty() ? "" : ",").append(tag.text());
        }
        return text.toString();
    }

    /** The tags of a {@value #TAGS} header's value. */
    public static Set<Tag> tags(String header) {
        if (header.isEmpty()) {
            return Set.of();
        }
        List<Tag> tags = new ArrayList<>();
        for (String text : header.split(",", -1)) {
            tags.add(Tag.of(text));
        }
        return Tag.sorted(tags);
    }

    private static void add(RecordHeaders headers, String name, String value) {
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
