package dev.cqrs.projector;

import dev.cqrs.codec.kafka.EventRecords;
import dev.cqrs.codec.registry.SchemaRegistryException;
import dev.cqrs.core.RawEvent;
import dev.cqrs.core.RecordedEvent;
import dev.cqrs.core.codec.EncodedEvent;
import dev.cqrs.core.codec.EventCodec;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * One record as a processor receives it: where it came from, the event it carries, and how to send it
 * to the dead-letter topic with the reason in its headers.
 */
final class Delivery {

    /** The name of the dead-letter sink in every topology. */
    static final String DEAD_LETTER_SINK = "dead-letters";

    static final String DLT_ERROR = "cqrs-dlt-error";
    static final String DLT_STAGE = "cqrs-dlt-stage";
    static final String DLT_CONSUMER = "cqrs-dlt-consumer";
    static final String DLT_SOURCE = "cqrs-dlt-source";
    static final String DLT_FAILED_AT = "cqrs-dlt-failed-at";

    /** Where in the processing a record failed. */
    enum Stage { DECODE, HANDLER, SQL, REACTION }

    final Record<String, byte[]> record;
    final TopicPartition partition;
    final long offset;

    private Delivery(Record<String, byte[]> record, TopicPartition partition, long offset) {
        this.record = record;
        this.partition = partition;
        this.offset = offset;
    }

    static Delivery of(ProcessorContext<?, ?> context, Record<String, byte[]> record) {
        RecordMetadata metadata = context.recordMetadata().orElseThrow();
        return new Delivery(record, new TopicPartition(metadata.topic(), metadata.partition()), metadata.offset());
    }

    String where() {
        return partition + "@" + offset;
    }

    RawEvent raw() {
        return EventRecords.fromParts(record.key(), record.value(), record.headers(), where());
    }

    /** The decoded event, or the reason it cannot be decoded. */
    <E> Decoded<E> decode(EventCodec<E> codec) {
        try {
            return new Decoded<>(Optional.of(decode(raw(), codec)), Optional.empty());
        } catch (SchemaRegistryException e) {
            if (e.isRetriable()) {
                // Not the record's fault: fail the task, so that Kafka Streams delivers it again later.
                throw new StreamsException("the schema registry is unavailable while decoding " + where() + ": " + e.getMessage(), e);
            }
            return new Decoded<>(Optional.empty(), Optional.of(e));
        } catch (RuntimeException e) {
            return new Decoded<>(Optional.empty(), Optional.of(e));
        }
    }

    /** A stored event decoded by {@code codec}: what every handler receives. */
    static <E> RecordedEvent<E> decode(RawEvent raw, EventCodec<E> codec) {
        E event = codec.decode(new EncodedEvent(raw.eventType(), raw.contentType(), raw.payload()));
        return new RecordedEvent<>(raw.globalPosition(), raw.stream(), raw.sequence(), event, raw.metadata(), raw.tags());
    }

    record Decoded<E>(Optional<RecordedEvent<E>> event, Optional<RuntimeException> failure) {
    }

    /** The record's global position, if its headers are readable (0 when not). */
    long positionOrZero() {
        try {
            return raw().globalPosition();
        } catch (RuntimeException e) {
            return 0;
        }
    }

    /** The record as a dead letter of a PostgreSQL projection: why it failed, and the record as it was. */
    ReadModelWriter.Failure failure(Stage stage, Throwable error) {
        List<String> names = new ArrayList<>();
        List<byte[]> values = new ArrayList<>();
        for (org.apache.kafka.common.header.Header header : record.headers()) {
            names.add(header.key());
            values.add(header.value() == null ? new byte[0] : header.value());
        }
        Optional<UUID> eventId;
        try {
            eventId = Optional.of(raw().metadata().eventId());
        } catch (RuntimeException unreadable) {
            eventId = Optional.empty();
        }
        return new ReadModelWriter.Failure(stage, describe(error), eventId, record.key(), record.value(), names, values, Instant.now());
    }

    /** Sends the record, unchanged, to the dead-letter sink with why it failed in its headers. */
    void deadLetter(ProcessorContext<String, byte[]> context, String consumer, Stage stage, Throwable error) {
        RecordHeaders headers = new RecordHeaders(record.headers().toArray());
        headers.add(DLT_ERROR, describe(error).getBytes(StandardCharsets.UTF_8));
        headers.add(DLT_STAGE, stage.name().getBytes(StandardCharsets.UTF_8));
        headers.add(DLT_CONSUMER, consumer.getBytes(StandardCharsets.UTF_8));
        headers.add(DLT_SOURCE, where().getBytes(StandardCharsets.UTF_8));
        headers.add(DLT_FAILED_AT, Instant.now().toString().getBytes(StandardCharsets.UTF_8));
        context.forward(new Record<>(record.key(), record.value(), record.timestamp(), headers), DEAD_LETTER_SINK);
    }

    private static String describe(Throwable error) {
        StringWriter trace = new StringWriter();
        error.printStackTrace(new PrintWriter(trace));
        String text = error + "\n" + trace;
        return text.length() > 4_000 ? text.substring(0, 4_000) : text;
    }
}
