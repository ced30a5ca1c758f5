package dev.cqrs.projector;

import dev.cqrs.core.CommandMetadata;
import dev.cqrs.core.EventStore;
import dev.cqrs.core.RawEvent;
import dev.cqrs.core.contract.ContractCodecs;
import dev.cqrs.core.contract.ContractEvent;
import dev.cqrs.embedded.kafka.KafkaBroker;
import dev.cqrs.embedded.postgres.PostgresServer;
import dev.cqrs.embedded.postgres.TestDatabase;
import dev.cqrs.outbox.Relay;
import dev.cqrs.outbox.RelayConfig;
import dev.cqrs.postgres.PostgresEventStore;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

/**
 * An event store, a relay publishing it to topics of this test's own, and the counter projection: what
 * every projector test starts from. The read model's rows are compared with the fold of the store.
 */
final class ProjectorTestSupport implements AutoCloseable {

    /**
     * The shared broker, started on first use: a projector process of the crash test uses this class
     * for its projection and must not start a broker of its own.
     */
    static String bootstrap() {
        return KafkaBroker.shared().bootstrapServers();
    }

    final TestDatabase db;
    final PostgresEventStore store;
    final String prefix = "p" + UUID.randomUUID().toString().substring(0, 8);
    final String topic = prefix + ".events.counter";
    final EventStore<ContractEvent> counters;
    private final Relay relay;

    ProjectorTestSupport(String name) {
        this.db = PostgresServer.shared().createDatabase(name);
        this.store = PostgresEventStore.builder(db.jdbcUrl(), db.user(), db.password()).poolSize(12).build();
        this.counters = store.events("counter", ContractCodecs.events());
        Map<String, Object> relaySettings = new HashMap<>();
        relaySettings.put(RelayConfig.BOOTSTRAP_SERVERS, bootstrap());
        relaySettings.put(RelayConfig.NAME, prefix);
        relaySettings.put(RelayConfig.TOPIC_PATTERN, prefix + ".events.{aggregateType}");
        relaySettings.put(RelayConfig.CHECKPOINT_TOPIC, prefix + ".checkpoints");
        relaySettings.put(RelayConfig.TOPIC_PARTITIONS, 3);
        relaySettings.put(RelayConfig.POLL_INTERVAL_MS, 100L);
        this.relay = Relay.start(store, new RelayConfig(relaySettings));
    }

    /** Projector settings: this test's prefix, the test database for read models. */
    Map<String, Object> projectorSettings() {
        Map<String, Object> settings = new HashMap<>();
        settings.put(ProjectorConfig.BOOTSTRAP_SERVERS, bootstrap());
        settings.put(ProjectorConfig.APPLICATION_PREFIX, prefix);
        settings.put(ProjectorConfig.READ_MODEL_URL, db.jdbcUrl());
        settings.put(ProjectorConfig.READ_MODEL_USER, db.user());
        settings.put(ProjectorConfig.READ_MODEL_PASSWORD, db.password());
        settings.put(ProjectorConfig.TOPIC_PARTITIONS, 3);
        settings.put(ProjectorConfig.STATE_DIR, System.getProperty("java.io.tmpdir") + "/cqrs-streams-test/" + prefix);
        return settings;
    }

    ProjectorConfig projectorConfig() {
        return new ProjectorConfig(projectorSettings());
    }

    /**
     * The counter read model: a running total (not idempotent by itself: only exactly-once application
     * keeps it right) and the latest name, guarded by position.
     */
    PostgresProjection<ContractEvent> counterProjection() {
        return counterProjection(e -> { });
    }

    PostgresProjection<ContractEvent> counterProjection(java.util.function.Consumer<ContractEvent.Renamed> onRename) {
        return counterProjection(topic, onRename);
    }

    /**
     * The counter projection of {@code topic}. Renaming a counter to {@code sql-boom} breaks a constraint of
     * its table: the SQL stage of the dead letters.
     */
    static PostgresProjection<ContractEvent> counterProjection(String topic, java.util.function.Consumer<ContractEvent.Renamed> onRename) {
        return PostgresProjection.builder("counters", topic, ContractCodecs.events())
                .schema("CREATE TABLE counters (id text PRIMARY KEY, total bigint NOT NULL, events bigint NOT NULL,"
                        + " name text NOT NULL DEFAULT '' CHECK (name <> 'sql-boom'), position bigint NOT NULL);"
                        + " CREATE TABLE applied_events (position bigint PRIMARY KEY)")
                .views("counters")
                .on(ContractEvent.Incremented.class, (e, sql) -> {
                    sql.execute("INSERT INTO counters (id, total, events, position) VALUES (?, ?, 1, ?) ON CONFLICT (id) DO UPDATE"
                                    + " SET total = counters.total + excluded.total, events = counters.events + 1, position = excluded.position",
                            e.aggregateId(), (long) e.event().by(), e.globalPosition());
                    // Which events were applied: when the totals differ, the crash test names the missing ones.
                    sql.execute("INSERT INTO applied_events (position) VALUES (?) ON CONFLICT DO NOTHING", e.globalPosition());
                })
                .on(ContractEvent.Renamed.class, (e, sql) -> {
                    onRename.accept(e.event());
                    sql.execute("INSERT INTO counters (id, total, events, name, position) VALUES (?, 0, 1, ?, ?) ON CONFLICT (id)"
                                    + " DO UPDATE SET name = excluded.name, events = counters.events + 1, position = excluded.position",
                            e.aggregateId(), e.event().name(), e.globalPosition());
                })
                .build();
    }

    /** A row of the counter read model, and the same row folded from the store. */
    record Counter(long total, long events, String name) {
    }

    /** The read model as readers see it (the view). */
    Map<String, Counter> readModel() throws Exception {
        try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT id, total, events, name FROM read.counters")) {
            Map<String, Counter> rows = new TreeMap<>();
            while (rs.next()) {
                rows.put(rs.getString(1), new Counter(rs.getLong(2), rs.getLong(3), rs.getString(4)));
            }
            return rows;
        }
    }

    /** These rows of the read model as readers see them (the view), read in one query; absent ones are missing. */
    Map<String, Counter> readModel(List<String> ids) throws Exception {
        try (Connection c = db.dataSource().getConnection();
             java.sql.PreparedStatement ps = c.prepareStatement("SELECT id, total, events, name FROM read.counters WHERE id = ANY (?)")) {
            ps.setArray(1, c.createArrayOf("text", ids.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                Map<String, Counter> rows = new HashMap<>();
                while (rs.next()) {
                    rows.put(rs.getString(1), new Counter(rs.getLong(2), rs.getLong(3), rs.getString(4)));
                }
                return rows;
            }
        }
    }

    /** One row of the read model as readers see it (the view), or null. */
    Counter readModel(String id) throws Exception {
        try (Connection c = db.dataSource().getConnection();
             java.sql.PreparedStatement ps = c.prepareStatement("SELECT total, events, name FROM read.counters WHERE id = ?")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? new Counter(rs.getLong(1), rs.getLong(2), rs.getString(3)) : null;
            }
        }
    }

    /** The positions of the increments the active generation applied (see {@link #counterProjection}). */
    java.util.Set<Long> appliedIncrements(int generation) throws Exception {
        try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT position FROM " + new Generation("counters", generation).schema() + ".applied_events")) {
            java.util.Set<Long> positions = new java.util.HashSet<>();
            while (rs.next()) {
                positions.add(rs.getLong(1));
            }
            return positions;
        }
    }

    /** The fold of every event in the store: what the read model must equal. */
    Map<String, Counter> foldOfTheStore() {
        return foldOf(all());
    }

    /** The fold of these events, in their order. */
    Map<String, Counter> foldOf(List<RawEvent> events) {
        Map<String, Counter> rows = new TreeMap<>();
        for (RawEvent raw : events) {
            ContractEvent event = ContractCodecs.events().decode(new dev.cqrs.core.codec.EncodedEvent(raw.eventType(),
                    raw.contentType(), raw.payload()));
            Counter before = rows.getOrDefault(raw.stream().aggregateId(), new Counter(0, 0, ""));
            rows.put(raw.stream().aggregateId(), switch (event) {
                case ContractEvent.Incremented(int by) -> new Counter(before.total() + by, before.events() + 1, before.name());
                case ContractEvent.Renamed(String name) -> new Counter(before.total(), before.events() + 1, name);
            });
        }
        return rows;
    }

    List<RawEvent> all() {
        List<RawEvent> all = new ArrayList<>();
        long last = 0;
        while (true) {
            List<RawEvent> page = store.globalLog().readAfter(last, 10_000);
            if (page.isEmpty()) {
                return all;
            }
            all.addAll(page);
            last = page.get(page.size() - 1).globalPosition();
        }
    }

    /**
     * What the topic holds, read with read_committed from the beginning until {@code expected} records were
     * read (or a minute passes): event id → copies. Also fills {@code whereByPosition}: each event's
     * position → "partition@offset".
     */
    Map<UUID, Integer> topicCopies(int expected, Map<Long, String> whereByPosition) {
        Map<UUID, Integer> copies = new HashMap<>();
        Map<String, Object> config = Map.of(
                org.apache.kafka.clients.consumer.ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap(),
                org.apache.kafka.clients.consumer.ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                org.apache.kafka.clients.consumer.ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                org.apache.kafka.clients.consumer.ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        try (var consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<>(config,
                new org.apache.kafka.common.serialization.StringDeserializer(),
                new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
            consumer.assign(consumer.partitionsFor(topic).stream()
                    .map(info -> new org.apache.kafka.common.TopicPartition(topic, info.partition())).toList());
            long deadline = System.nanoTime() + java.time.Duration.ofSeconds(60).toNanos();
            int read = 0;
            while (read < expected && System.nanoTime() < deadline) {
                for (var record : consumer.poll(java.time.Duration.ofMillis(200))) {
                    RawEvent event = dev.cqrs.codec.kafka.EventRecords.fromRecord(record);
                    UUID id = event.metadata().eventId();
                    whereByPosition.put(event.globalPosition(), record.partition() + "@" + record.offset());
                    copies.merge(id, 1, Integer::sum);
                    read++;
                }
            }
        }
        return copies;
    }

    /** Waits until the relay has published every event in the store. */
    void awaitPublished(java.time.Duration timeout) throws InterruptedException {
        long head = headPosition();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (relay.status().publishedPosition() < head) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the relay did not publish up to " + head + " within " + timeout);
            }
            Thread.sleep(20);
        }
    }

    long headPosition() {
        return store.globalLog().headPosition();
    }

    /** Appends {@code total} increments in appends of 1 to 10, over 100 counters, from {@code threads} writers. */
    Thread[] write(int total, int threads) {
        return write(total, threads, () -> false);
    }

    /**
     * Appends {@code total} events as fast as it can, then goes on at about 50 appends per second and
     * writer while {@code moreWanted} says so.
     */
    Thread[] write(int total, int threads, java.util.function.BooleanSupplier moreWanted) {
        AtomicInteger written = new AtomicInteger();
        return IntStream.range(0, threads).mapToObj(t -> Thread.ofPlatform().start(() -> {
            ThreadLocalRandom random = ThreadLocalRandom.current();
            while (written.get() < total || moreWanted.getAsBoolean()) {
                int count = 1 + random.nextInt(10);
                List<ContractEvent> batch = IntStream.range(0, count)
                        .<ContractEvent>mapToObj(i -> new ContractEvent.Incremented(1 + random.nextInt(5))).toList();
                counters.append("c-" + random.nextInt(100), batch, Optional.empty(), CommandMetadata.create());
                if (written.addAndGet(count) >= total) {
                    try {
                        Thread.sleep(20);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
        })).toArray(Thread[]::new);
    }

    /**
     * Starts the counter projection of {@code topic} as a process of its own ({@link CounterProjectorMain}),
     * its output in {@code log}.
     */
    static Process startProjectorProcess(String topic, Map<String, Object> settings, java.nio.file.Path log) throws java.io.IOException {
        // C1 only, as the relay's test process: the JVM and Kafka Streams start seconds sooner on two shared cores,
        // and a test process runs too briefly for C2's code to pay off.
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "-Xmx384m",
                "-XX:TieredStopAtLevel=1"));
        settings.forEach((key, value) -> command.add("-D" + key + "=" + value));
        command.add("-Dtopic=" + topic);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), CounterProjectorMain.class.getName()));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** How many events a projector process says it processed, by its latest "processed" line (0 before any). */
    static long processed(java.nio.file.Path log) throws java.io.IOException {
        return progress(log, 1);
    }

    /** How many records a projector process says it found already applied and skipped (0 before any line). */
    static long skipped(java.nio.file.Path log) throws java.io.IOException {
        return progress(log, 3);
    }

    /** A field of the latest "processed N skipped M" line of a projector process. */
    private static long progress(java.nio.file.Path log, int field) throws java.io.IOException {
        if (!java.nio.file.Files.exists(log)) {
            return 0;
        }
        List<String> lines = java.nio.file.Files.readAllLines(log);
        for (int i = lines.size() - 1; i >= 0; i--) {
            String[] words = lines.get(i).trim().split(" ");
            if (words.length == 4 && words[0].equals("processed") && words[2].equals("skipped")) {
                return Long.parseLong(words[field]);
            }
        }
        return 0;
    }

    /** The last {@code lines} lines of a process's output, for a failure message. */
    static String tail(java.nio.file.Path log, int lines) {
        try {
            List<String> all = java.nio.file.Files.readAllLines(log);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (java.io.IOException e) {
            return "(cannot read " + log + ": " + e + ")";
        }
    }

    /** The applied position of each partition of a generation (absent: nothing applied, or no such generation yet). */
    Map<Integer, Long> appliedPositions(int generation) throws Exception {
        try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT partition, position FROM " + new Generation("counters", generation).schema()
                     + ".cqrs_positions")) {
            Map<Integer, Long> positions = new HashMap<>();
            while (rs.next()) {
                positions.put(rs.getInt(1), rs.getLong(2));
            }
            return positions;
        } catch (java.sql.SQLException e) {
            if ("42P01".equals(e.getSQLState())) {
                return Map.of(); // the projector has not created the generation yet
            }
            throw e;
        }
    }

    /** Waits for the threads, at most two minutes each. */
    static void join(Thread... threads) throws InterruptedException {
        for (Thread thread : threads) {
            thread.join(java.time.Duration.ofMinutes(2));
            if (thread.isAlive()) {
                throw new AssertionError("a writer thread did not finish within two minutes: " + thread);
            }
        }
    }

    static boolean isAlive(Thread... threads) {
        for (Thread thread : threads) {
            if (thread.isAlive()) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void close() {
        relay.close();
        store.close();
    }
}
