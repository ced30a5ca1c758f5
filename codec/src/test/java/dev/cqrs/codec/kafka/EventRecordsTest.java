package dev.cqrs.codec.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cqrs.core.CommandMetadata;
import dev.cqrs.core.EventMetadata;
import dev.cqrs.core.EventNumber;
import dev.cqrs.core.RawEvent;
import dev.cqrs.core.StreamId;
import dev.cqrs.core.Tag;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

/** An event's tags on Kafka: one readable header, there and back. */
class EventRecordsTest {

    private static RawEvent event(Set<Tag> tags) {
        return new RawEvent(42L << 16, StreamId.of("course", "c1"), EventNumber.of(3), "StudentSubscribed",
                "application/json", "{}".getBytes(StandardCharsets.UTF_8),
                EventMetadata.of(UUID.randomUUID(), CommandMetadata.create(), Instant.parse("2026-12-01T10:00:00Z")), tags);
    }

    @Test
    void tagsTravelSortedInOneCommaSeparatedHeaderAndComeBack() {
        RawEvent tagged = event(Set.of(Tag.of("student", "s7"), Tag.of("course", "c1")));
        ProducerRecord<String, byte[]> record = EventRecords.toRecord("events.course", tagged);

        assertThat(new String(record.headers().lastHeader(EventRecords.TAGS).value(), StandardCharsets.UTF_8))
                .isEqualTo("course:c1,student:s7");
        RawEvent back = EventRecords.fromParts(record.key(), record.value(), record.headers(), "test");
        assertThat(back).isEqualTo(tagged);
        assertThat(back.tags()).containsExactly(Tag.of("course:c1"), Tag.of("student:s7"));
    }

    @Test
    void anUntaggedEventHasNoTagsHeader() {
        ProducerRecord<String, byte[]> record = EventRecords.toRecord("events.course", event(Set.of()));
        assertThat(record.headers().lastHeader(EventRecords.TAGS)).isNull();
        assertThat(EventRecords.fromParts(record.key(), record.value(), record.headers(), "test").tags()).isEmpty();
    }

    @Test
    void aMalformedTagsHeaderIsNotAnEventOfTheRelay() {
        ProducerRecord<String, byte[]> record = EventRecords.toRecord("events.course", event(Set.of(Tag.of("course:c1"))));
        RecordHeaders headers = new RecordHeaders(record.headers().toArray());
        headers.remove(EventRecords.TAGS);
        headers.add(EventRecords.TAGS, "course:c1,,student:s7".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> EventRecords.fromParts(record.key(), record.value(), headers, "events.course-0@7"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("events.course-0@7").hasMessageContaining("tag");
    }
}
