package dev.cqrs.projector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cqrs.core.CommandMetadata;
import dev.cqrs.core.EventMetadata;
import dev.cqrs.core.EventNumber;
import dev.cqrs.core.RecordedEvent;
import dev.cqrs.core.StreamId;
import dev.cqrs.core.Tag;
import dev.cqrs.core.contract.ContractCodecs;
import dev.cqrs.core.contract.ContractEvent;
import java.time.Instant;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A projection that selects by tag sees only the events carrying a tag of its keys, and reads the tag's
 * value (no Kafka here: the records' tags header is EventRecordsTest's, the whole path is the course
 * example's end-to-end test).
 */
class TagSelectionTest {

    private final PostgresProjection<ContractEvent> timetable = PostgresProjection
            .builder("timetable", "events.course", ContractCodecs.events())
            .schema("CREATE TABLE timetable (student text, course text)")
            .selectTagged("student")
            .on(ContractEvent.Incremented.class, (e, sql) -> sql.execute("INSERT INTO timetable VALUES (?, ?)",
                    e.tagValue("student").orElseThrow(), e.tagValue("course").orElseThrow()))
            .build();

    private static RecordedEvent<ContractEvent> event(Set<Tag> tags) {
        return new RecordedEvent<>(1L << 16, StreamId.of("course", "c1"), EventNumber.FIRST, new ContractEvent.Incremented(1),
                EventMetadata.of(UUID.randomUUID(), CommandMetadata.create(), Instant.now()), tags);
    }

    @Test
    void onlyEventsCarryingATagOfTheSelectedKeysReachTheHandlers() throws Exception {
        SqlBatch subscribed = new SqlBatch();
        assertThat(timetable.apply(event(Set.of(Tag.of("course", "c1"), Tag.of("student", "s7"))), subscribed)).isTrue();
        assertThat(subscribed.statements).singleElement().satisfies(s -> assertThat(s.parameters()).containsExactly("s7", "c1"));

        SqlBatch courseOnly = new SqlBatch();
        assertThat(timetable.apply(event(Set.of(Tag.of("course", "c1"))), courseOnly)).isFalse();
        assertThat(timetable.apply(event(Set.of(Tag.of("studentx", "s7"))), courseOnly)).isFalse();
        assertThat(timetable.apply(event(Set.of()), courseOnly)).isFalse();
        assertThat(courseOnly.statements).isEmpty();
    }

    @Test
    void withoutASelectionEveryEventOfAHandledTypeIsApplied() throws Exception {
        PostgresProjection<ContractEvent> all = PostgresProjection.builder("all", "events.course", ContractCodecs.events())
                .schema("CREATE TABLE t (x int)")
                .on(ContractEvent.Incremented.class, (e, sql) -> sql.execute("INSERT INTO t VALUES (1)"))
                .build();
        assertThat(all.apply(event(Set.of()), new SqlBatch())).isTrue();
        assertThatThrownBy(() -> PostgresProjection.builder("bad", "events.course", ContractCodecs.events()).selectTagged(" "))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
