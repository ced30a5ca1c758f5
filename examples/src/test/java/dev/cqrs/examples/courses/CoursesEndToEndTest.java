package dev.cqrs.examples.courses;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cqrs.codec.kafka.EventRecords;
import dev.cqrs.core.CommandMetadata;
import dev.cqrs.core.RawEvent;
import dev.cqrs.core.Tag;
import dev.cqrs.core.dcb.DecisionResult;
import dev.cqrs.embedded.kafka.KafkaBroker;
import dev.cqrs.embedded.postgres.PostgresServer;
import dev.cqrs.embedded.postgres.TestDatabase;
import dev.cqrs.outbox.Relay;
import dev.cqrs.outbox.RelayConfig;
import dev.cqrs.postgres.PostgresEventStore;
import dev.cqrs.projector.Projector;
import dev.cqrs.projector.ProjectorConfig;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

/**
 * The course application end to end on a real PostgreSQL and Kafka: aggregate commands and DCB
 * decisions append to the course streams, the relay publishes every event once to {@code events.course}
 * with its tags in the {@code cqrs-tags} header, and two projections build the read models, one of them
 * selecting the events tagged with a student.
 */
class CoursesEndToEndTest {

    @Test
    void taggedEventsArePublishedOnceWithTheirTagsAndProjectedByTag() throws Exception {
        TestDatabase db = PostgresServer.shared().createDatabase("courses");
        String prefix = "c" + UUID.randomUUID().toString().substring(0, 8);
        String topic = prefix + ".events." + Course.TYPE;
        String bootstrap = KafkaBroker.shared().bootstrapServers();
        try (PostgresEventStore store = PostgresEventStore.builder(db.jdbcUrl(), db.user(), db.password()).build();
             Relay relay = Relay.start(store, new RelayConfig(Map.of(
                     RelayConfig.BOOTSTRAP_SERVERS, bootstrap,
                     RelayConfig.NAME, prefix,
                     RelayConfig.TOPIC_PATTERN, prefix + ".events.{aggregateType}",
                     RelayConfig.CHECKPOINT_TOPIC, prefix + ".checkpoints",
                     RelayConfig.TOPIC_PARTITIONS, 3,
                     RelayConfig.POLL_INTERVAL_MS, 100L)));
             Projector projector = Projector.builder(new ProjectorConfig(Map.of(
                             ProjectorConfig.BOOTSTRAP_SERVERS, bootstrap,
                             ProjectorConfig.APPLICATION_PREFIX, prefix,
                             ProjectorConfig.READ_MODEL_URL, db.jdbcUrl(),
                             ProjectorConfig.READ_MODEL_USER, db.user(),
                             ProjectorConfig.READ_MODEL_PASSWORD, db.password(),
                             ProjectorConfig.TOPIC_PARTITIONS, 3,
                             ProjectorConfig.STATE_DIR, System.getProperty("java.io.tmpdir") + "/cqrs-streams-test/" + prefix)))
                     .projection(CourseReadModels.courseList(topic))
                     .projection(CourseReadModels.timetables(topic))
                     .start()) {
            Courses courses = Courses.on(store);
            courses.define("algebra", "Algebra", 2, CommandMetadata.create());
            courses.define("geometry", "Geometry", 30, CommandMetadata.create());
            for (String[] s : new String[][] {{"ada", "algebra"}, {"bob", "algebra"}, {"cy", "algebra"}, {"ada", "geometry"}}) {
                courses.subscribe(s[0], s[1], CommandMetadata.create());
            }
            courses.rename("algebra", "Linear algebra", CommandMetadata.create());
            var last = courses.unsubscribe("bob", "algebra", CommandMetadata.create());
            long position = ((DecisionResult.Accepted<?, ?>) last).lastPosition().orElseThrow();

            for (String projection : List.of("course_list", "timetables")) {
                assertThat(projector.readYourWrites().awaitPosition(projection, position, Duration.ofSeconds(60)))
                        .as(projection + " reaches the last decision").isTrue();
            }
            assertThat(rows(db, "SELECT course_id, title, capacity, students FROM read.course_list ORDER BY course_id"))
                    .containsExactly("algebra|Linear algebra|2|1", "geometry|Geometry|30|1");
            assertThat(rows(db, "SELECT student_id, course_id FROM read.student_courses ORDER BY student_id, course_id"))
                    .as("cy's subscription was refused: the course was full").containsExactly("ada|algebra", "ada|geometry");

            // Every event of the store is on the topic exactly once, with the tags it was stored with.
            List<RawEvent> stored = store.globalLog().readAfter(0, 1_000);
            assertThat(stored).as("2 definitions, 3 subscriptions, a rename, an unsubscription").hasSize(7);
            Map<UUID, List<RawEvent>> published = consume(bootstrap, topic, stored.size(), Duration.ofSeconds(60));
            assertThat(published.keySet()).containsExactlyInAnyOrderElementsOf(stored.stream().map(e -> e.metadata().eventId()).toList());
            for (RawEvent event : stored) {
                assertThat(published.get(event.metadata().eventId())).as("copies of " + event).singleElement()
                        .satisfies(copy -> assertThat(copy.tags()).isEqualTo(event.tags()));
            }
            RawEvent subscription = stored.stream().filter(e -> e.eventType().equals("StudentSubscribed")).findFirst().orElseThrow();
            assertThat(subscription.tags()).containsExactly(Tag.of("course:algebra"), Tag.of("student:ada"));
        }
    }

    /** Reads the topic from the start until {@code expected} records arrived; the records by event id. */
    private static Map<UUID, List<RawEvent>> consume(String bootstrap, String topic, int expected, Duration timeout) {
        Map<String, Object> settings = new HashMap<>();
        settings.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        settings.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        settings.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        Map<UUID, List<RawEvent>> byId = new TreeMap<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(settings, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, timeout).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.nanoTime() + timeout.toNanos();
            int received = 0;
            while (received < expected) {
                assertThat(System.nanoTime()).as("received " + received + " of " + expected + " records in " + timeout)
                        .isLessThan(deadline);
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    RawEvent event = EventRecords.fromRecord(record);
                    byId.computeIfAbsent(event.metadata().eventId(), id -> new ArrayList<>()).add(event);
                    received++;
                }
            }
            // Anything more would be a duplicate: one more poll must bring nothing.
            assertThat(consumer.poll(Duration.ofMillis(500))).isEmpty();
        }
        return byId;
    }

    private static List<String> rows(TestDatabase db, String sql) throws Exception {
        try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            List<String> rows = new ArrayList<>();
            int columns = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                StringBuilder row = new StringBuilder();
                for (int i = 1; i <= columns; i++) {
                    row.append(i == 1 ? "" : "|").append(rs.getString(i));
                }
                rows.add(row.toString());
            }
            return rows;
        }
    }
}
