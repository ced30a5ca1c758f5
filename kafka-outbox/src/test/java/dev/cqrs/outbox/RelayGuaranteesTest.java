package dev.cqrs.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cqrs.core.AppendResult;
import dev.cqrs.core.CommandMetadata;
import dev.cqrs.core.EventStore;
import dev.cqrs.core.RawEvent;
import dev.cqrs.core.contract.ContractCodecs;
import dev.cqrs.core.contract.ContractEvent;
import dev.cqrs.embedded.kafka.KafkaBroker;
import dev.cqrs.embedded.postgres.PostgresOptions;
import dev.cqrs.embedded.postgres.PostgresServer;
import dev.cqrs.embedded.postgres.TestDatabase;
import dev.cqrs.postgres.PostgresEventStore;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The relay's promise under the situations of production that broke it: a store that went back in time
 * beside a kept Kafka, two stores on one cluster, an oversized event, topics whose settings lose events.
 * In each, the events reach their topic exactly once, or the relay refuses and says why: never silence.
 */
class RelayGuaranteesTest {

    private static final String BOOTSTRAP = KafkaBroker.shared().bootstrapServers();
    private static final Duration WAIT = Duration.ofSeconds(60);
    /** A PostgreSQL cluster of its own, whose transaction ids start low: a restore target, or another cluster. */
    private static PostgresServer otherCluster;

    @AfterAll
    static void stopOtherCluster() {
        if (otherCluster != null) {
            otherCluster.stop();
        }
    }

    private static synchronized PostgresServer otherCluster() {
        if (otherCluster == null) {
            otherCluster = PostgresServer.start(PostgresOptions.temporary());
        }
        return otherCluster;
    }

    // ---- item 4: a store behind its relay's checkpoint ----

    /**
     * The relay published a store's events; then the relay of the same name is pointed at another store,
     * whose transaction ids (and so positions) are lower than the checkpoint. Its events would all be below
     * the checkpoint: resumed from it, they would never be published while the lag reads 0.
     */
    @Test
    void aRelayOfTheSameNamePointedAtAnotherStoreRefusesAndSaysWhy() throws Exception {
        RelayTestSupport first = new RelayTestSupport("first_store");
        try {
            publishSomeEventsHigh(first);
            TestDatabase elsewhere = otherCluster().createDatabase("other_store");
            try (PostgresEventStore other = PostgresEventStore.builder(elsewhere.jdbcUrl(), elsewhere.user(), elsewhere.password()).build()) {
                EventStore<ContractEvent> events = other.events(first.aggregateType, ContractCodecs.events());
                List<AppendResult> written = IntStream.range(0, 10).mapToObj(i -> events.append("late-" + i,
                        List.of(new ContractEvent.Incremented(i)), Optional.empty(), CommandMetadata.create())).toList();
                try (Relay relay = Relay.start(other, first.relayConfig(BOOTSTRAP))) {
                    await(() -> relay.status().role() == RelayStatus.Role.REFUSED, "the relay refuses");
                    assertThat(relay.status().lastError()).hasValueSatisfying(why -> assertThat(why)
                            .contains("was written for store " + first.store.identity().storeId())
                            .contains("this relay publishes store " + other.identity().storeId())
                            .contains("relay.name"));
                    assertThat(relay.status().eventsPublished()).isZero();
                }
                assertThat(written).hasSize(10);
            }
        } finally {
            first.close();
        }
    }

    /**
     * The same store gone back in time (a restored backup: the same store id, the events up to some point,
     * transaction ids that restart there): with the default the relay refuses, naming the checkpoint and
     * what to do; with realign, the events written since reach the topic, each once, above the checkpoint,
     * and nothing published before is published again.
     */
    @Test
    void aStoreRestoredBesideAKeptKafkaIsRefusedOrRealignedNeverSkipped() throws Exception {
        RelayTestSupport original = new RelayTestSupport("restored_store");
        try {
            List<RawEvent> kept = publishSomeEventsHigh(original);
            long checkpoint = original.all().getLast().globalPosition();
            // The backup held the first half of the events.
            List<RawEvent> inBackup = kept.subList(0, kept.size() / 2);
            TestDatabase target = otherCluster().createDatabase("restore_target");
            try (PostgresEventStore empty = PostgresEventStore.builder(target.jdbcUrl(), target.user(), target.password()).build()) {
                restore(target, original.store, inBackup);
            }
            try (PostgresEventStore restored = PostgresEventStore.builder(target.jdbcUrl(), target.user(), target.password()).build()) {
                assertThat(restored.identity().storeId()).isEqualTo(original.store.identity().storeId());
                EventStore<ContractEvent> events = restored.events(original.aggregateType, ContractCodecs.events());
                List<AppendResult> written = IntStream.range(0, 10).mapToObj(i -> events.append("after-restore-" + i,
                        List.of(new ContractEvent.Incremented(i)), Optional.empty(), CommandMetadata.create())).toList();
                assertThat(written).allSatisfy(w -> assertThat(w.lastPosition()).as("a new position below the checkpoint")
                        .isLessThan(checkpoint));

                try (Relay refusing = Relay.start(restored, original.relayConfig(BOOTSTRAP))) {
                    await(() -> refusing.status().role() == RelayStatus.Role.REFUSED, "the relay refuses");
                    assertThat(refusing.status().lastError()).hasValueSatisfying(why -> assertThat(why)
                            .contains("checkpoint says every event up to global position " + checkpoint)
                            .contains("relay.on.regression=realign"));
                }

                Map<String, Object> settings = original.relaySettings(BOOTSTRAP);
                settings.put(RelayConfig.ON_REGRESSION, "realign");
                try (Relay realigning = Relay.start(restored, new RelayConfig(settings))) {
                    Set<UUID> wanted = new HashSet<>();
                    written.forEach(w -> wanted.add(eventIdAt(restored, w)));
                    Published seen = Published.consume(BOOTSTRAP, original.topics(), WAIT,
                            p -> p.events.stream().filter(e -> wanted.contains(e.metadata().eventId())).count() == 10);
                    Map<UUID, Integer> copies = new HashMap<>();
                    seen.events.forEach(e -> copies.merge(e.metadata().eventId(), 1, Integer::sum));
                    assertThat(wanted).as("the events written since the restore reach the topic").allSatisfy(
                            id -> assertThat(copies.get(id)).isEqualTo(1));
                    assertThat(copies.values()).as("nothing published twice").allMatch(n -> n == 1);
                    assertThat(seen.events.stream().filter(e -> wanted.contains(e.metadata().eventId())))
                            .allSatisfy(e -> assertThat(e.globalPosition()).as("renumbered above the checkpoint").isGreaterThan(checkpoint));
                    assertThat(realigning.status().role()).isEqualTo(RelayStatus.Role.LEADER);
                }
            }
        } finally {
            original.close();
        }
    }

    // ---- item 5: two stores on one cluster ----

    /**
     * Two stores, the relays' defaults (only bootstrap.servers): their names come from the stores, so they
     * do not share a transactional id or a checkpoint; each topic holds exactly its own events. A third
     * store whose aggregate type maps to a topic another store publishes is refused, not mixed in.
     */
    @Test
    void twoStoresOnOneClusterWithTheDefaultRelayNamesEachPublishTheirOwn() throws Exception {
        TestDatabase db = PostgresServer.shared().createDatabase("two_stores");
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        try (PostgresEventStore a = PostgresEventStore.builder(db.jdbcUrl(), db.user(), db.password()).schema("a").build();
             PostgresEventStore b = PostgresEventStore.builder(db.jdbcUrl(), db.user(), db.password()).schema("b").build();
             Relay relayA = Relay.start(a, new RelayConfig(Map.of(RelayConfig.BOOTSTRAP_SERVERS, BOOTSTRAP)));
             Relay relayB = Relay.start(b, new RelayConfig(Map.of(RelayConfig.BOOTSTRAP_SERVERS, BOOTSTRAP)))) {
            assertThat(relayA.name()).isNotEqualTo(relayB.name());
            String typeA = "a-" + suffix;
            String typeB = "b-" + suffix;
            Thread writeA = appendInBackground(a.events(typeA, ContractCodecs.events()), 1_000);
            Thread writeB = appendInBackground(b.events(typeB, ContractCodecs.events()), 1_000);
            RelayTestSupport.join(writeA, writeB);
            Published inA = Published.settled(BOOTSTRAP, Pattern.compile(Pattern.quote("events." + typeA)), 1_000, WAIT);
            Published inB = Published.settled(BOOTSTRAP, Pattern.compile(Pattern.quote("events." + typeB)), 1_000, WAIT);
            inA.assertExactlyOnceInOrder(allOf(a));
            inB.assertExactlyOnceInOrder(allOf(b));

            // A third store publishing the same aggregate type as store a: the topic is a's.
            try (PostgresEventStore c = PostgresEventStore.builder(db.jdbcUrl(), db.user(), db.password()).schema("c").build();
                 Relay relayC = Relay.start(c, new RelayConfig(Map.of(RelayConfig.BOOTSTRAP_SERVERS, BOOTSTRAP)))) {
                c.events(typeA, ContractCodecs.events()).append("mine", List.of(new ContractEvent.Incremented(1)), Optional.empty(),
                        CommandMetadata.create());
                await(() -> relayC.status().role() == RelayStatus.Role.REFUSED, "the third store's relay refuses");
                assertThat(relayC.status().lastError()).hasValueSatisfying(why -> assertThat(why)
                        .contains("topic events." + typeA + " is published by store " + a.identity().storeId())
                        .contains("relay.topic.pattern"));
            }
            Published.settled(BOOTSTRAP, Pattern.compile(Pattern.quote("events." + typeA)), 1_000, Duration.ofSeconds(10))
                    .assertExactlyOnceInOrder(allOf(a));
        }
    }

    // ---- item 7: the largest event ----

    /**
     * A payload at its limit with the most headers a command may carry: refused at the command, with a clear
     * error, nothing stored; the small event after it is published at once. And the largest event the store
     * accepts, the relay publishes: the store, the producer and the topic agree on the limit.
     */
    @Test
    void anEventTooLargeForKafkaIsRefusedAtTheCommandAndTheLargestAcceptedOneIsPublished() throws Exception {
        RelayTestSupport support = new RelayTestSupport("largest_event");
        try (Relay relay = Relay.start(support.store, support.relayConfig(BOOTSTRAP))) {
            EventStore<ContractEvent> events = support.store.events(support.aggregateType, ContractCodecs.events());
            String payload = "x".repeat(PostgresEventStore.DEFAULT_MAX_PAYLOAD_BYTES - 20);
            CommandMetadata maximal = CommandMetadata.create();
            for (int i = 0; i < CommandMetadata.MAX_HEADERS; i++) {
                maximal = maximal.withHeader(String.format("%03d", i) + "h".repeat(CommandMetadata.MAX_HEADER_NAME_LENGTH - 3),
                        "v".repeat(CommandMetadata.MAX_HEADER_VALUE_LENGTH));
            }
            CommandMetadata tooMuch = maximal;
            assertThatThrownBy(() -> events.append("big", List.of(new ContractEvent.Renamed(payload)), Optional.empty(), tooMuch))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("metadata").hasMessageContaining("limit is 65536 bytes");
            assertThat(events.currentVersion("big")).as("nothing stored").isEmpty();

            CommandMetadata largestAccepted = CommandMetadata.create();
            for (int i = 0; i < 30; i++) {
                largestAccepted = largestAccepted.withHeader(String.format("%03d", i) + "h".repeat(CommandMetadata.MAX_HEADER_NAME_LENGTH - 3),
                        "v".repeat(CommandMetadata.MAX_HEADER_VALUE_LENGTH));
            }
            events.append("largest", List.of(new ContractEvent.Renamed(payload)), Optional.empty(), largestAccepted);
            events.append("small", List.of(new ContractEvent.Incremented(1)), Optional.empty(), CommandMetadata.create());
            List<RawEvent> stored = support.all();
            Published.settled(BOOTSTRAP, support.topics(), stored.size(), Duration.ofSeconds(30)).assertExactlyOnceInOrder(stored);
            assertThat(relay.status().role()).isEqualTo(RelayStatus.Role.LEADER);
        } finally {
            support.close();
        }
    }

    // ---- item 9: topic settings ----

    /**
     * An event topic that already exists with 7-day retention would lose history that rebuilds need; a
     * checkpoint topic with a delete policy would lose the checkpoint. The relay refuses each, saying which
     * setting to change; allowed to, it fixes them and publishes.
     */
    @Test
    void topicsWhoseSettingsWouldLoseEventsAreRefusedOrFixed() throws Exception {
        RelayTestSupport support = new RelayTestSupport("topic_settings");
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, BOOTSTRAP))) {
            String eventTopic = support.prefix + "." + support.aggregateType;
            admin.createTopics(List.of(new NewTopic(eventTopic, 3, (short) 1).configs(Map.of("retention.ms", "604800000"))))
                    .all().get();
            support.store.events(support.aggregateType, ContractCodecs.events())
                    .append("a", List.of(new ContractEvent.Incremented(1)), Optional.empty(), CommandMetadata.create());
            try (Relay relay = Relay.start(support.store, support.relayConfig(BOOTSTRAP))) {
                await(() -> relay.status().role() == RelayStatus.Role.REFUSED, "the relay refuses the 7-day topic");
                assertThat(relay.status().lastError()).hasValueSatisfying(why -> assertThat(why)
                        .contains("retention.ms=604800000").contains(eventTopic).contains("relay.topic.fix.settings=true"));
            }
            Map<String, Object> fixing = support.relaySettings(BOOTSTRAP);
            fixing.put(RelayConfig.TOPIC_FIX_SETTINGS, true);
            try (Relay relay = Relay.start(support.store, new RelayConfig(fixing))) {
                List<RawEvent> stored = support.all();
                Published.settled(BOOTSTRAP, support.topics(), stored.size(), WAIT).assertExactlyOnceInOrder(stored);
            }

            String checkpoints = support.prefix + ".bad-checkpoints";
            admin.createTopics(List.of(new NewTopic(checkpoints, 1, (short) 1).configs(Map.of("cleanup.policy", "delete"))))
                    .all().get();
            Map<String, Object> deleting = support.relaySettings(BOOTSTRAP);
            deleting.put(RelayConfig.CHECKPOINT_TOPIC, checkpoints);
            try (Relay relay = Relay.start(support.store, new RelayConfig(deleting))) {
                await(() -> relay.status().role() == RelayStatus.Role.REFUSED, "the relay refuses the deleting checkpoint topic");
                assertThat(relay.status().lastError()).hasValueSatisfying(why -> assertThat(why)
                        .contains("cleanup.policy=delete").contains(checkpoints));
            }
        } finally {
            support.close();
        }
    }

    /** Two aggregate types whose topics Kafka cannot both hold are refused where the second is first used. */
    @Test
    void aggregateTypesWhoseTopicsWouldCollideInKafkaAreRefused() {
        RelayTestSupport support = new RelayTestSupport("colliding_types");
        try {
            support.store.events("a.b", ContractCodecs.events())
                    .append("x", List.of(new ContractEvent.Incremented(1)), Optional.empty(), CommandMetadata.create());
            assertThatThrownBy(() -> support.store.events("a_b", ContractCodecs.events()))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'a_b' collides with aggregate type 'a.b'");
        } finally {
            support.close();
        }
    }

    // ---- item 6: what holds the log back, as the relay reports it ----

    @Test
    void anAppendHeldOpenIsNamedInTheRelaysStatus() throws Exception {
        RelayTestSupport support = new RelayTestSupport("held_open");
        Map<String, Object> settings = support.relaySettings(BOOTSTRAP);
        settings.put(RelayConfig.HOLDUP_WARN_MS, 500);
        try (Relay relay = Relay.start(support.store, new RelayConfig(settings));
             Connection open = DriverManager.getConnection(support.db.jdbcUrl(), support.db.user(), support.db.password())) {
            open.setAutoCommit(false);
            try (Statement s = open.createStatement()) {
                s.execute("SET application_name = 'held open by a test'");
                s.execute("INSERT INTO cqrs.events (global_position, aggregate_type, aggregate_id, sequence, event_type, content_type,"
                        + " payload, event_id, correlation_id) VALUES (pg_current_xact_id()::text::bigint << 16, 'held', 'h', 1, 'X',"
                        + " 'text/plain', '\\x00', gen_random_uuid(), gen_random_uuid())");
            }
            await(() -> relay.status().logHeldBackBy().isPresent(), "the relay names what holds the log back");
            assertThat(relay.status().logHeldBackBy()).hasValueSatisfying(h -> assertThat(h.applicationName())
                    .isEqualTo("held open by a test"));
            open.rollback();
            await(() -> relay.status().logHeldBackBy().isEmpty(), "the hold-up is gone once the append ends");
        } finally {
            support.close();
        }
    }

    // ---- helpers ----

    /**
     * Publishes 200 events of the support's store after moving its server's transaction ids well past those
     * of {@link #otherCluster}, and waits until they are published; returns them.
     */
    private static List<RawEvent> publishSomeEventsHigh(RelayTestSupport support) throws Exception {
        advanceTransactionIds(support.db, 3_000);
        RelayTestSupport.join(support.write(200, 2));
        List<RawEvent> stored = support.all();
        try (Relay relay = Relay.start(support.store, support.relayConfig(BOOTSTRAP))) {
            Published.settled(BOOTSTRAP, support.topics(), stored.size(), WAIT).assertExactlyOnceInOrder(stored);
            long last = stored.getLast().globalPosition();
            await(() -> relay.status().publishedPosition() >= last, "the relay's checkpoint reaches the last event");
        }
        return stored;
    }

    private static void advanceTransactionIds(TestDatabase db, int transactions) throws Exception {
        try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password()); Statement s = c.createStatement()) {
            s.execute("SET synchronous_commit = off");
            for (int i = 0; i < transactions; i++) {
                s.execute("SELECT pg_current_xact_id()");
            }
        }
    }

    /**
     * What a restore of a backup taken after {@code events} does to {@code target}: the store's identity and
     * those events, with transaction ids advanced just past theirs (as the restored server's would be).
     */
    private static void restore(TestDatabase target, PostgresEventStore from, List<RawEvent> events) throws Exception {
        try (Connection c = DriverManager.getConnection(target.jdbcUrl(), target.user(), target.password())) {
            try (PreparedStatement ps = c.prepareStatement("UPDATE cqrs.store_identity SET store_id = ?")) {
                ps.setObject(1, from.identity().storeId());
                ps.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO cqrs.events (global_position, aggregate_type, aggregate_id,"
                    + " sequence, event_type, content_type, payload, event_id, correlation_id, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                for (RawEvent e : events) {
                    ps.setLong(1, e.globalPosition());
                    ps.setString(2, e.stream().aggregateType());
                    ps.setString(3, e.stream().aggregateId());
                    ps.setLong(4, e.sequence().value());
                    ps.setString(5, e.eventType());
                    ps.setString(6, e.contentType());
                    ps.setBytes(7, e.payload());
                    ps.setObject(8, e.metadata().eventId());
                    ps.setObject(9, e.metadata().correlationId());
                    ps.setTimestamp(10, java.sql.Timestamp.from(e.metadata().recordedAt()));
                    ps.addBatch();
                }
                ps.executeBatch();
            }
        }
        long past = events.getLast().globalPosition() >>> 16;
        try (Connection c = DriverManager.getConnection(target.jdbcUrl(), target.user(), target.password());
             Statement s = c.createStatement()) {
            s.execute("SET synchronous_commit = off");
            long next = 0;
            while (next <= past) {
                try (ResultSet rs = s.executeQuery("SELECT pg_current_xact_id()::text::bigint")) {
                    rs.next();
                    next = rs.getLong(1) + 1;
                }
            }
        }
    }

    private static UUID eventIdAt(PostgresEventStore store, AppendResult written) {
        return store.events(written.stream().aggregateType(), ContractCodecs.events())
                .readEvents(written.stream().aggregateId(), dev.cqrs.core.Since.beginning()).getFirst().metadata().eventId();
    }

    private static List<RawEvent> allOf(PostgresEventStore store) {
        return store.globalLog().readAfter(0, 100_000);
    }

    private static Thread appendInBackground(EventStore<ContractEvent> events, int count) {
        return Thread.ofPlatform().start(() -> {
            for (int i = 0; i < count; i++) {
                events.append("agg-" + (i % 50), List.of(new ContractEvent.Incremented(i)), Optional.empty(), CommandMetadata.create());
            }
        });
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("in time: %s", what).isLessThan(deadline);
            Thread.sleep(50);
        }
    }
}
