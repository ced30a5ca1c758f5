package dev.cqrs.postgres;

import static dev.cqrs.core.contract.TaggedContractEvent.tags;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cqrs.core.AppendResult;
import dev.cqrs.core.CommandMetadata;
import dev.cqrs.core.EventStore;
import dev.cqrs.core.Tag;
import dev.cqrs.core.codec.EncodedEvent;
import dev.cqrs.core.contract.TaggedContractCodecs;
import dev.cqrs.core.contract.TaggedContractEvent;
import dev.cqrs.core.contract.TaggedContractEvent.Noted;
import dev.cqrs.core.contract.TaggedContractEvent.Opened;
import dev.cqrs.core.contract.TaggedContractEvent.Plain;
import dev.cqrs.core.dcb.AppendCondition;
import dev.cqrs.core.dcb.AppendConditionFailedException;
import dev.cqrs.core.dcb.DcbEventStore;
import dev.cqrs.core.dcb.MatchingEvents;
import dev.cqrs.core.dcb.Query;
import dev.cqrs.core.dcb.QueryItem;
import dev.cqrs.core.dcb.SequencedEvent;
import dev.cqrs.embedded.postgres.TestDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;

/**
 * Reads and conditions by tag go through the side table {@code event_tags} (migration V4): every append
 * writes it, the migration fills it with the events tagged before it, and what it does not name a read by
 * tag does not find, whatever {@code events.tags} says.
 */
class TagSideTableTest {

    private final String type = "t" + UUID.randomUUID().toString().substring(0, 8);

    @Test
    void everyKindOfAppendWritesOneRowPerTagOfEachOfItsEvents() throws Exception {
        TestDatabase db = TestStores.database("tagrows");
        try (PostgresEventStore store = TestStores.store(db)) {
            EventStore<TaggedContractEvent> streams = store.events(type, TaggedContractCodecs.events());
            DcbEventStore<TaggedContractEvent> dcb = store.dcb(type, TaggedContractCodecs.events());
            // the lean one-event statement, the general one, the general one with a key, a conditional append
            streams.append("one", List.of(new Opened("a", tags("course:c1", "student:s1"))), Optional.empty(),
                    CommandMetadata.create());
            streams.append("several", List.of(new Opened("b", tags("course:c2")), new Plain("c"),
                    new Noted("d", tags("course:c2", "student:s2"))), Optional.empty(), CommandMetadata.create());
            streams.append("keyed", List.of(new Opened("e", tags("course:c3"))), Optional.empty(),
                    CommandMetadata.create().withIdempotencyKey("key-" + type));
            MatchingEvents<TaggedContractEvent> read = dcb.read(Query.of(QueryItem.ofTags(Tag.of("course:c4"))));
            dcb.append("decided", List.of(new Opened("f", tags("course:c4", "student:s4"))), read.appendCondition(),
                    CommandMetadata.create());
            dcb.append("decided", List.of(new Plain("g")),
                    AppendCondition.failIfEventsMatch(Query.of(QueryItem.ofTags(Tag.of("course:c5")))), CommandMetadata.create());

            assertThat(rows(db, "SELECT tag, global_position FROM cqrs.event_tags WHERE aggregate_type = ?"))
                    .as("the side table holds exactly the tags of the events")
                    .hasSize(8)
                    .containsExactlyInAnyOrderElementsOf(rows(db, "SELECT t.tag, e.global_position FROM cqrs.events e,"
                            + " unnest(e.tags) AS t(tag) WHERE e.aggregate_type = ?"));
        }
    }

    @Test
    void eventsTaggedBeforeTheSideTableAreFoundByTagAfterTheMigration() throws Exception {
        TestDatabase db = TestStores.database("tagbackfill");
        Flyway.configure().dataSource(db.jdbcUrl(), db.user(), db.password()).schemas("cqrs").defaultSchema("cqrs")
                .createSchemas(true).table("cqrs_schema_history").locations("classpath:dev/cqrs/postgres/migration")
                .target("3").load().migrate();
        long opened = insertAtV3(db, "old", 1, new Opened("before V4", tags("course:c1", "student:s1")));
        insertAtV3(db, "old", 2, new Plain("untagged"));
        long noted = insertAtV3(db, "other", 1, new Noted("also before V4", tags("student:s1")));

        try (PostgresEventStore store = TestStores.store(db)) { // migrates to V4
            DcbEventStore<TaggedContractEvent> dcb = store.dcb(type, TaggedContractCodecs.events());
            assertThat(positions(dcb.read(Query.of(QueryItem.ofTags(Tag.of("student:s1"))))))
                    .containsExactly(opened, noted);
            assertThat(positions(dcb.read(Query.of(QueryItem.ofTypes(Opened.class).withTags(Tag.of("course:c1"))))))
                    .containsExactly(opened);
            assertThatThrownBy(() -> dcb.append("new", List.of(new Opened("late", tags("course:c1"))),
                    AppendCondition.failIfEventsMatch(Query.of(QueryItem.ofTags(Tag.of("course:c1")))),
                    CommandMetadata.create()))
                    .as("a condition sees the events tagged before V4")
                    .isInstanceOfSatisfying(AppendConditionFailedException.class,
                            e -> assertThat(e.failure().found().position()).isEqualTo(opened));
        }
    }

    @Test
    void aReadOrConditionByTagFindsOnlyTheEventsTheSideTableNames() throws Exception {
        TestDatabase db = TestStores.database("tagonly");
        try (PostgresEventStore store = TestStores.store(db)) {
            DcbEventStore<TaggedContractEvent> dcb = store.dcb(type, TaggedContractCodecs.events());
            Query course = Query.of(QueryItem.ofTags(Tag.of("course:c1")));
            Query both = course.or(QueryItem.ofTags(Tag.of("student:s9")));
            AppendResult kept = dcb.append("a", List.of(new Opened("kept", tags("course:c1"))), Optional.empty(),
                    Optional.empty(), CommandMetadata.create());
            AppendResult dropped = dcb.append("b", List.of(new Opened("dropped", tags("course:c1"))), Optional.empty(),
                    Optional.empty(), CommandMetadata.create());
            assertThat(positions(dcb.read(course))).containsExactly(kept.firstPosition(), dropped.firstPosition());

            execute(db, "DELETE FROM cqrs.event_tags WHERE global_position = " + dropped.firstPosition());

            assertThat(positions(dcb.read(course))).as("events.tags still names course:c1, the side table does not")
                    .containsExactly(kept.firstPosition());
            assertThat(positions(dcb.read(both))).containsExactly(kept.firstPosition());
            dcb.append("c", List.of(new Opened("decided", tags("course:c1"))),
                    AppendCondition.failIfEventsMatch(course).after(kept.firstPosition()), CommandMetadata.create());
        }
    }

    /** Inserts an event as the store before V4 did (tags in events.tags only); returns its position. */
    private long insertAtV3(TestDatabase db, String id, long sequence, TaggedContractEvent event) throws SQLException {
        EncodedEvent encoded = TaggedContractCodecs.events().encode(event);
        try (Connection c = connect(db); PreparedStatement ps = c.prepareStatement("INSERT INTO cqrs.events (global_position,"
                + " aggregate_type, aggregate_id, sequence, event_type, content_type, payload, event_id, correlation_id, tags)"
                + " VALUES (pg_current_xact_id()::text::bigint << 16, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING global_position")) {
            ps.setString(1, type);
            ps.setString(2, id);
            ps.setLong(3, sequence);
            ps.setString(4, encoded.eventType());
            ps.setString(5, encoded.contentType());
            ps.setBytes(6, encoded.payload());
            ps.setObject(7, UUID.randomUUID());
            ps.setObject(8, UUID.randomUUID());
            ps.setArray(9, event.eventTags().isEmpty() ? null : Rows.tagArray(c, event.eventTags()));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private static List<Long> positions(MatchingEvents<TaggedContractEvent> read) {
        return read.events().stream().map(SequencedEvent::position).toList();
    }

    /** (text, position) rows of {@code sql}, whose one parameter is this test's aggregate type. */
    private List<String> rows(TestDatabase db, String sql) throws SQLException {
        List<String> rows = new ArrayList<>();
        try (Connection c = connect(db); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, type);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    rows.add(rs.getString(1) + "@" + rs.getLong(2));
                }
            }
        }
        return rows;
    }

    private static void execute(TestDatabase db, String sql) throws SQLException {
        try (Connection c = connect(db); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    private static Connection connect(TestDatabase db) throws SQLException {
        return DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
    }
}
