package dev.cqrs.audit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cqrs.codec.kafka.EventRecords;
import dev.cqrs.core.CommandMetadata;
import dev.cqrs.core.EventStore;
import dev.cqrs.core.RawEvent;
import dev.cqrs.core.codec.EncodedEvent;
import dev.cqrs.core.contract.ContractCodecs;
import dev.cqrs.core.contract.ContractEvent;
import dev.cqrs.embedded.kafka.KafkaBroker;
import dev.cqrs.embedded.postgres.PostgresServer;
import dev.cqrs.embedded.postgres.TestDatabase;
import dev.cqrs.outbox.Relay;
import dev.cqrs.outbox.RelayConfig;
import dev.cqrs.postgres.PostgresEventStore;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The auditor is itself tested: on a store faithfully relayed it finds nothing; on copies of the topic
 * with a record dropped, duplicated, reordered or altered, and on a read model with a wrong row, it
 * finds exactly what was planted.
 */
class AuditorTest {

    private static final String BOOTSTRAP = KafkaBroker.shared().bootstrapServers();
    private static final String PREFIX = "a" + UUID.randomUUID().toString().substring(0, 8);
    private static final TestDatabase db = PostgresServer.shared().createDatabase("audit");
    private static PostgresEventStore store;
    private static RelayConfig relayConfig;
    private static List<ConsumerRecord<String, byte[]>> published;

    @BeforeAll
    static void writeAndRelay() throws Exception {
        store = PostgresEventStore.builder(db.jdbcUrl(), db.user(), db.password()).build();
        EventStore<ContractEvent> counters = store.events("counter", ContractCodecs.events());
        for (int i = 0; i < 300; i++) {
            counters.append("c-" + (i % 20), IntStream.range(0, 1 + i % 3).<ContractEvent>mapToObj(ContractEvent.Incremented::new).toList(),
                    Optional.empty(), CommandMetadata.create());
        }
        counters.append("named", List.of(new ContractEvent.Renamed("n")), Optional.empty(), CommandMetadata.create());
        Map<String, Object> settings = new HashMap<>();
        settings.put(RelayConfig.BOOTSTRAP_SERVERS, BOOTSTRAP);
        settings.put(RelayConfig.NAME, PREFIX);
        settings.put(RelayConfig.TOPIC_PATTERN, PREFIX + ".{aggregateType}");
        settings.put(RelayConfig.CHECKPOINT_TOPIC, PREFIX + ".checkpoints");
        settings.put(RelayConfig.TOPIC_PARTITIONS, 2);
        relayConfig = new RelayConfig(settings);
        long events = store.globalLog().countAfter(0);
        try (Relay relay = Relay.start(store, relayConfig)) {
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (relay.status().eventsPublished() < events && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
        }
        published = readAll(relayConfig.topicOf("counter"));
        assertThat(published).hasSize((int) events);
    }

    @AfterAll
    static void close() {
        store.close();
    }

    @Test
    void aFaithfulRelayAndReadModelShowNoDifference() throws Exception {
        CounterTable table = new CounterTable("faithful");
        table.fillFromTheStore();
        AuditReport report = Auditor.builder(store.globalLog(), BOOTSTRAP, relayConfig::topicOf).readModel(table).build().audit();
        assertThat(report.isClean()).as(report.table()).isTrue();
        assertThat(report.storeEvents()).isEqualTo(published.size());
        assertThat(report.topicRecords()).isEqualTo(published.size());
    }

    @Test
    void aDroppedADuplicatedAReorderedAndAnAlteredRecordAreEachFound() {
        String tampered = PREFIX + ".tampered-" + UUID.randomUUID().toString().substring(0, 6);
        List<ConsumerRecord<String, byte[]>> records = new ArrayList<>(published);
        ConsumerRecord<String, byte[]> dropped = records.remove(10);
        ConsumerRecord<String, byte[]> duplicate = records.get(20);
        records.add(30, duplicate);
        // Reorder: move an event of c-3 behind the next event of c-3 (same key, so the same partition).
        int first = indexOfKey(records, "c-3", 0);
        int second = indexOfKey(records, "c-3", first + 1);
        records.add(second, records.remove(first));
        // Alter: another payload for one record, everything else kept.
        int altered = 50;
        ConsumerRecord<String, byte[]> original = records.get(altered);
        records.set(altered, new ConsumerRecord<>(original.topic(), original.partition(), original.offset(), original.key(),
                "999".getBytes()));
        records.get(altered).headers().add(original.headers().toArray()[0]);
        for (var header : original.headers()) {
            if (!header.key().equals(original.headers().toArray()[0].key())) {
                records.get(altered).headers().add(header);
            }
        }
        produce(tampered, records);

        AuditReport report = Auditor.builder(store.globalLog(), BOOTSTRAP, type -> tampered).build().audit();
        assertThat(report.missing().count()).as(report.table()).isEqualTo(1);
        assertThat(report.missing().examples()).containsExactly("position " + EventRecords.fromRecord(dropped).globalPosition());
        assertThat(report.duplicated().count()).isEqualTo(1);
        assertThat(report.duplicated().examples()).containsExactly("position " + EventRecords.fromRecord(duplicate).globalPosition());
        assertThat(report.outOfOrder().count()).isEqualTo(1);
        assertThat(report.outOfOrder().examples().get(0)).contains("counter/c-3");
        assertThat(report.corrupted().count()).isEqualTo(1);
        assertThat(report.unknown().count()).isZero();
        assertThat(report.isClean()).isFalse();
    }

    @Test
    void aWrongAMissingAndAnUnexpectedReadModelRowAreEachFound() throws Exception {
        CounterTable table = new CounterTable("tampered");
        table.fillFromTheStore();
        table.execute("UPDATE %s SET total = total + 1 WHERE id = 'c-5'");
        table.execute("DELETE FROM %s WHERE id = 'c-7'");
        table.execute("INSERT INTO %s (id, total, name) VALUES ('ghost', 1, '')");
        AuditReport report = Auditor.builder(store.globalLog(), BOOTSTRAP, relayConfig::topicOf).readModel(table).build().audit();
        AuditReport.ReadModelFinding finding = report.readModels().get(0);
        assertThat(finding.different().count()).as(report.table()).isEqualTo(1);
        assertThat(finding.different().examples().get(0)).startsWith("c-5: expected");
        assertThat(finding.missing().count()).isEqualTo(1);
        assertThat(finding.missing().examples().get(0)).startsWith("c-7");
        assertThat(finding.unexpected().count()).isEqualTo(1);
        assertThat(finding.unexpected().examples().get(0)).startsWith("ghost");
        assertThat(report.differences()).isEqualTo(3);
        assertThat(report.table()).contains("rows different").contains("differences");
    }

    /**
     * A read model caught mid-way, as on a live system: its positions say how far it applied each partition, and
     * the audit expects exactly the events up to there. Rows that match are clean; one applied event left out,
     * or an event past the positions applied, is a difference.
     */
    @Test
    void aReadModelIsComparedWithTheEventsItsPositionsSayItApplied() throws Exception {
        // Halfway through each partition, as the records the relay published say.
        Map<TopicPartition, List<Long>> positionsByPartition = new TreeMap<>(java.util.Comparator.comparing(TopicPartition::toString));
        for (ConsumerRecord<String, byte[]> record : published) {
            positionsByPartition.computeIfAbsent(new TopicPartition(record.topic(), record.partition()), p -> new ArrayList<>())
                    .add(EventRecords.fromRecord(record).globalPosition());
        }
        assertThat(positionsByPartition).as("the relay spread the events over two partitions").hasSize(2);
        Map<TopicPartition, Long> halfway = new HashMap<>();
        Map<Long, TopicPartition> partitionOf = new HashMap<>();
        positionsByPartition.forEach((partition, positions) -> {
            halfway.put(partition, positions.get(positions.size() / 2));
            positions.forEach(position -> partitionOf.put(position, partition));
        });
        java.util.function.Predicate<RawEvent> applied = raw -> raw.globalPosition() <= halfway.get(partitionOf.get(raw.globalPosition()));

        CounterTable midway = new CounterTable("midway");
        midway.fillFromTheStore(applied);
        midway.reflects(halfway);
        AuditReport clean = audit(midway);
        assertThat(clean.isClean()).as(clean.table()).isTrue();
        assertThat(clean.readModels().get(0).expectedRows()).as("rows of to-dos the positions reach").isPositive();

        // One event the positions say was applied, left out of its row: a row behind its positions.
        RawEvent lastApplied = store.globalLog().readAfter(0, 100_000).stream().filter(applied)
                .filter(raw -> raw.stream().aggregateId().startsWith("c-"))
                .filter(raw -> !ContractCodecs.events().decode(new EncodedEvent(raw.eventType(), raw.contentType(), raw.payload()))
                        .equals(new ContractEvent.Incremented(0))) // one that changes its row
                .reduce((a, b) -> b).orElseThrow();
        CounterTable behind = new CounterTable("behind");
        behind.fillFromTheStore(applied.and(raw -> raw.globalPosition() != lastApplied.globalPosition()));
        behind.reflects(halfway);
        AuditReport lost = audit(behind);
        assertThat(lost.readModels().get(0).different().count()).as(lost.table()).isEqualTo(1);
        assertThat(lost.readModels().get(0).different().examples().get(0)).startsWith(lastApplied.stream().aggregateId() + ":");

        // Every event in the rows, positions halfway: rows ahead of their positions (applied twice, or misplaced).
        CounterTable ahead = new CounterTable("ahead");
        ahead.fillFromTheStore();
        ahead.reflects(halfway);
        AuditReport early = audit(ahead);
        assertThat(early.readModels().get(0).differences()).as(early.table()).isPositive();
    }

    private static AuditReport audit(CounterTable table) {
        return Auditor.builder(store.globalLog(), BOOTSTRAP, relayConfig::topicOf).readModel(table).build().audit();
    }

    private static int indexOfKey(List<ConsumerRecord<String, byte[]>> records, String key, int from) {
        for (int i = from; i < records.size(); i++) {
            if (records.get(i).key().equals(key)) {
                return i;
            }
        }
        throw new AssertionError("no record for " + key);
    }

    /** A read model of counters in a table, folded here, and its audit. */
    private static final class CounterTable implements ReadModelAudit {
        private final String table;
        private final Map<String, long[]> totals = new TreeMap<>();
        private final Map<String, String> names = new TreeMap<>();
        private Map<TopicPartition, Long> applied;

        CounterTable(String suffix) throws Exception {
            this.table = "counters_" + suffix;
            execute("CREATE TABLE %s (id text PRIMARY KEY, total bigint NOT NULL, name text NOT NULL)");
        }

        void execute(String sql) throws Exception {
            try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement()) {
                s.execute(String.format(sql, table));
            }
        }

        void fillFromTheStore() throws Exception {
            fillFromTheStore(raw -> true);
        }

        /** Fills the table with the fold of the events that {@code applied} lets through. */
        void fillFromTheStore(java.util.function.Predicate<RawEvent> applied) throws Exception {
            Map<String, long[]> rows = new TreeMap<>();
            Map<String, String> rowNames = new TreeMap<>();
            for (RawEvent raw : store.globalLog().readAfter(0, 100_000)) {
                if (applied.test(raw)) {
                    fold(raw, rows, rowNames);
                }
            }
            try (Connection c = db.dataSource().getConnection();
                 PreparedStatement ps = c.prepareStatement("INSERT INTO " + table + " (id, total, name) VALUES (?, ?, ?)")) {
                for (var row : rows.entrySet()) {
                    ps.setString(1, row.getKey());
                    ps.setLong(2, row.getValue()[0]);
                    ps.setString(3, rowNames.getOrDefault(row.getKey(), ""));
                    ps.addBatch();
                }
                ps.executeBatch();
            }
        }

        private static void fold(RawEvent raw, Map<String, long[]> rows, Map<String, String> rowNames) {
            ContractEvent event = ContractCodecs.events().decode(new EncodedEvent(raw.eventType(), raw.contentType(), raw.payload()));
            long[] total = rows.computeIfAbsent(raw.stream().aggregateId(), k -> new long[1]);
            switch (event) {
                case ContractEvent.Incremented(int by) -> total[0] += by;
                case ContractEvent.Renamed(String name) -> rowNames.put(raw.stream().aggregateId(), name);
            }
        }

        @Override
        public String name() {
            return table;
        }

        @Override
        public void accept(RawEvent event) {
            fold(event, totals, names);
        }

        @Override
        public Map<String, String> expectedRows() {
            Map<String, String> rows = new TreeMap<>();
            totals.forEach((id, total) -> rows.put(id, total[0] + "|" + names.getOrDefault(id, "")));
            return rows;
        }

        /** From now on the table says it reflects these positions, as a projector's positions table would. */
        void reflects(Map<TopicPartition, Long> positions) {
            this.applied = positions;
        }

        @Override
        public ReadModelSnapshot read() {
            return applied == null ? ReadModelSnapshot.atRest(rows()) : ReadModelSnapshot.of(rows(), applied);
        }

        private Map<String, String> rows() {
            Map<String, String> rows = new TreeMap<>();
            try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT id, total, name FROM " + table)) {
                while (rs.next()) {
                    rows.put(rs.getString(1), rs.getLong(2) + "|" + rs.getString(3));
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            return rows;
        }
    }

    private static List<ConsumerRecord<String, byte[]>> readAll(String topic) {
        Map<String, Object> config = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, BOOTSTRAP,
                ConsumerConfig.GROUP_ID_CONFIG, "audit-test-" + UUID.randomUUID(), ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            int empty = 0;
            while (System.nanoTime() < deadline && empty < 10) {
                var batch = consumer.poll(Duration.ofMillis(300));
                empty = batch.isEmpty() ? empty + 1 : 0;
                batch.forEach(records::add);
            }
        }
        // Partition by partition, in offset order: the order a consumer of one partition sees.
        records.sort(java.util.Comparator.<ConsumerRecord<String, byte[]>>comparingInt(ConsumerRecord::partition)
                .thenComparingLong(ConsumerRecord::offset));
        return records;
    }

    /** Produces the records, in this order, each to the partition it came from. */
    private static void produce(String topic, List<ConsumerRecord<String, byte[]>> records) {
        KafkaBroker.shared().createTopic(topic, 2);
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, BOOTSTRAP,
                ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1), new StringSerializer(), new ByteArraySerializer())) {
            for (ConsumerRecord<String, byte[]> record : records) {
                producer.send(new ProducerRecord<>(topic, record.partition(), record.key(), record.value(), record.headers()));
            }
            producer.flush();
        }
    }
}
