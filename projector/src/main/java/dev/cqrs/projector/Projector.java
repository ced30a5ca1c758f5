package dev.cqrs.projector;

import dev.cqrs.core.codec.EncodedEvent;
import dev.cqrs.core.reaction.ReactionEvent;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaClientSupplier;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs projections and reactors, each as a Kafka Streams application of its own with exactly_once_v2.
 *
 * <pre>{@code
 * Projector projector = Projector.builder(new ProjectorConfig(settings))
 *         .projection(todoList)          // a PostgresProjection
 *         .stateProjection(todoActivity) // a StateProjection
 *         .reactor(reminders)            // a Reactor
 *         .start();
 * projector.readYourWrites().awaitPosition("todos", position, Duration.ofSeconds(2));
 * projector.rebuild("todos");            // a new generation, built beside the serving one, then switched
 * }</pre>
 *
 * <p>A housekeeping thread keeps each PostgreSQL projection's generations running: the active one, a
 * generation being rebuilt, and none that retired. It switches readers to a rebuilt generation once it
 * has caught up with the serving one. Several projector processes may run the same projections; Kafka
 * Streams shares the partitions among them.
 */
public final class Projector implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Projector.class);
    private static final Duration HOUSEKEEPING = Duration.ofMillis(250);
    /**
     * A rebuilt generation tries to take over once it is at most this many records behind the serving one;
     * it takes over only when it has applied everything the serving one has (see ReadModelDatabase.activate).
     */
    private static final long SWITCH_SLACK = 100;
    /** How long a switch may hold the serving generation's writes while the new one catches up. */
    private static final Duration SWITCH_PATIENCE = Duration.ofSeconds(2);

    private final ProjectorConfig config;
    private final Map<String, PostgresProjection<?>> projections;
    private final Map<String, StateProjection<?, ?>> stateProjections;
    private final Map<String, Reactor<?>> reactors;
    private final Optional<ReadModelDatabase> database;
    private final KafkaOffsets kafka;
    private final Optional<ReadYourWrites> readYourWrites;
    private final Map<String, Running> running = new ConcurrentHashMap<>();
    private final Map<String, RebuildProgress> rebuilds = new ConcurrentHashMap<>();
    private final Map<String, long[]> rebuildRates = new ConcurrentHashMap<>();
    private final Map<String, ReactionProgress> reactionProgress = new ConcurrentHashMap<>();
    private final Thread housekeeping;
    private volatile boolean closed;

    private record Running(String name, int generation, String applicationId, String deadLetterTopic,
                           List<String> topics, KafkaStreams streams, ProjectionMetrics metrics) {
    }

    private Projector(Builder b) {
        this.config = b.config;
        this.projections = Map.copyOf(b.projections);
        this.stateProjections = Map.copyOf(b.stateProjections);
        this.reactors = Map.copyOf(b.reactors);
        if (!projections.isEmpty() && !config.hasReadModelDatabase()) {
            throw new org.apache.kafka.common.config.ConfigException(ProjectorConfig.READ_MODEL_URL, "",
                    "PostgreSQL projections need the read-model database");
        }
        this.database = config.hasReadModelDatabase()
                ? Optional.of(new ReadModelDatabase(config.getString(ProjectorConfig.READ_MODEL_URL),
                config.getString(ProjectorConfig.READ_MODEL_USER), config.getPassword(ProjectorConfig.READ_MODEL_PASSWORD).value(),
                config.getString(ProjectorConfig.READ_SCHEMA), config.getString(ProjectorConfig.REGISTRY_SCHEMA), 8))
                : Optional.empty();
        this.kafka = new KafkaOffsets(config.bootstrapServers());
        Map<String, List<String>> topics = new LinkedHashMap<>();
        projections.values().forEach(p -> topics.put(p.name(), p.topics()));
        this.readYourWrites = database.map(db -> new ReadYourWrites(db, kafka, config.prefix(), topics));
        this.housekeeping = Thread.ofPlatform().daemon().name("cqrs-projector-housekeeping").unstarted(this::keepHouse);
    }

    public static Builder builder(ProjectorConfig config) {
        return new Builder(config);
    }

    static String applicationId(String prefix, String projection, int generation) {
        return prefix + "-" + projection + "-g" + generation;
    }

    private static String safe(String name) {
        return name.replaceAll("[^a-zA-Z0-9._-]", "_");
    }

    private void start() {
        for (StateProjection<?, ?> projection : stateProjections.values()) {
            startState(projection);
        }
        for (Reactor<?> reactor : reactors.values()) {
            startReactor(reactor);
        }
        for (PostgresProjection<?> projection : projections.values()) {
            database.orElseThrow().ensureFirstGeneration(projection);
        }
        keepHouseOnce();
        housekeeping.start();
    }

    // ---- running the applications ----

    private <E> void startPostgres(PostgresProjection<E> projection, int generation) {
        database.orElseThrow().ensureDeadLetters(projection.name(), generation);
        String applicationId = applicationId(config.prefix(), projection.name(), generation);
        String storeName = ReadModelStore.storeName(projection.name(), generation);
        ProjectionMetrics metrics = new ProjectionMetrics();
        Topology topology = new Topology();
        topology.addSource("events", new StringDeserializer(), new ByteArrayDeserializer(), projection.topics().toArray(String[]::new));
        topology.addProcessor("project", () -> new ReadModelProcessor<>(projection, storeName,
                config.getInt(ProjectorConfig.HANDLER_ATTEMPTS), config.flushInterval(), metrics), "events");
        ReadModelStore.Builder store = new ReadModelStore.Builder(projection.name(), generation, database.orElseThrow(),
                config.getInt(ProjectorConfig.BATCH_MAX_EVENTS), metrics);
        topology.addStateStore(store, "project");
        // Partitions resume from what the read model holds when Kafka's committed offsets are ahead of it.
        ReadModelResume resume = new ReadModelResume(projection.name(), generation,
                () -> database.orElseThrow().applied(projection.name(), generation), store.generation().writer());
        launch(projection.name(), generation, applicationId, projection.topics(), topology, "project", metrics, Optional.of(resume));
    }

    private <S, E> void startState(StateProjection<S, E> projection) {
        String applicationId = config.prefix() + "-state-" + projection.name();
        ProjectionMetrics metrics = new ProjectionMetrics();
        Topology topology = new Topology();
        topology.addSource("events", new StringDeserializer(), new ByteArrayDeserializer(), projection.topic());
        topology.addProcessor("fold", () -> new StateProcessor<>(projection, metrics), "events");
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(projection.name()),
                Serdes.String(), Serdes.ByteArray()), "fold");
        launch(projection.name(), 0, applicationId, List.of(projection.topic()), topology, "fold", metrics, Optional.empty());
    }

    private <E> void startReactor(Reactor<E> reactor) {
        String applicationId = config.prefix() + "-reactor-" + safe(reactor.name());
        ProjectionMetrics metrics = new ProjectionMetrics();
        Topology topology = new Topology();
        topology.addSource("events", new StringDeserializer(), new ByteArrayDeserializer(), reactor.topic());
        topology.addProcessor("react", () -> new ReactorProcessor<>(reactor, config.getInt(ProjectorConfig.HANDLER_ATTEMPTS), metrics), "events");
        reactor.outputTopic().ifPresent(output -> {
            kafka.createTopic(output, 6);
            topology.addSink(ReactorProcessor.OUTPUT_SINK, output, new StringSerializer(), new ByteArraySerializer(), "react");
        });
        launch(reactor.name(), 0, applicationId, List.of(reactor.topic()), topology, "react", metrics, Optional.empty());
    }

    private void launch(String name, int generation, String applicationId, List<String> topics, Topology topology,
                        String processor, ProjectionMetrics metrics, Optional<KafkaClientSupplier> clients) {
        String deadLetterTopic = applicationId + ".dlt";
        kafka.createTopic(deadLetterTopic, 1);
        for (String topic : topics) {
            kafka.createTopic(topic, config.getInt(ProjectorConfig.TOPIC_PARTITIONS));
        }
        topology.addSink(Delivery.DEAD_LETTER_SINK, deadLetterTopic, new StringSerializer(), new ByteArraySerializer(), processor);
        KafkaStreams streams = clients.isPresent()
                ? new KafkaStreams(topology, streamsProperties(applicationId), clients.get())
                : new KafkaStreams(topology, streamsProperties(applicationId));
        streams.setUncaughtExceptionHandler(e -> {
            log.warn("{} (generation {}): a stream thread failed and is replaced: {}", name, generation, e.toString());
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
        streams.start();
        running.put(applicationId, new Running(name, generation, applicationId, deadLetterTopic, topics, streams, metrics));
        log.info("Started {} (application {}) on {}", name, applicationId, topics);
    }

    private Properties streamsProperties(String applicationId) {
        Properties props = new Properties();
        props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, config.getInt(ProjectorConfig.STREAM_THREADS));
        props.put(StreamsConfig.POLL_MS_CONFIG, config.flushInterval().toMillis());
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_POLL_RECORDS_CONFIG), 2_000);
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG), 100);
        // A projector that died is noticed in 10 s rather than Kafka's default 45 s, so its partitions move on.
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), 10_000);
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG), 2_000);
        props.putAll(config.streamsOverrides());
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, config.getLong(ProjectorConfig.COMMIT_INTERVAL_MS));
        props.put(StreamsConfig.STATE_DIR_CONFIG, config.getString(ProjectorConfig.STATE_DIR));
        return props;
    }

    // ---- generations and rebuilds ----

    private void keepHouse() {
        while (!closed) {
            try {
                Thread.sleep(HOUSEKEEPING);
                keepHouseOnce();
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                log.warn("Projector housekeeping failed: {}", e.toString());
            }
        }
    }

    private synchronized void keepHouseOnce() {
        if (closed) {
            return;
        }
        for (PostgresProjection<?> projection : projections.values()) {
            List<ReadModelDatabase.Generation> generations = database.orElseThrow().generations(projection.name());
            for (ReadModelDatabase.Generation generation : generations) {
                String applicationId = applicationId(config.prefix(), projection.name(), generation.number());
                boolean isRunning = running.containsKey(applicationId);
                if (generation.state() != ReadModelDatabase.GenerationState.RETIRED && !isRunning) {
                    startPostgres(projection, generation.number());
                } else if (generation.state() == ReadModelDatabase.GenerationState.RETIRED && isRunning) {
                    stop(applicationId);
                }
                if (generation.state() == ReadModelDatabase.GenerationState.BUILDING) {
                    watchRebuild(projection, generation.number(), generations);
                }
            }
        }
    }

    private void watchRebuild(PostgresProjection<?> projection, int generation, List<ReadModelDatabase.Generation> generations) {
        List<TopicPartition> partitions = kafka.partitionsOf(projection.topics());
        Map<TopicPartition, Long> ends = kafka.endOffsets(partitions);
        Map<TopicPartition, Long> consumed = kafka.committed(applicationId(config.prefix(), projection.name(), generation), partitions);
        long total = ends.values().stream().mapToLong(Long::longValue).sum();
        long done = 0;
        long behind = 0;
        for (TopicPartition p : partitions) {
            long end = ends.getOrDefault(p, 0L);
            long at = Math.min(end, consumed.getOrDefault(p, 0L));
            done += at;
            behind += end - at;
        }
        long now = System.nanoTime();
        long[] previous = rebuildRates.put(projection.name(), new long[] {now, done});
        double rate = previous == null || now == previous[0] ? 0 : (done - previous[1]) * 1e9 / (now - previous[0]);
        Optional<Duration> remaining = rate > 0 ? Optional.of(Duration.ofMillis((long) (behind / rate * 1000))) : Optional.empty();
        rebuilds.put(projection.name(), new RebuildProgress(projection.name(), generation, false, done, total, rate, remaining));
        Optional<Integer> active = generations.stream().filter(g -> g.state() == ReadModelDatabase.GenerationState.ACTIVE)
                .map(ReadModelDatabase.Generation::number).findFirst();
        long activeBehind = active.map(g -> kafka.lag(applicationId(config.prefix(), projection.name(), g), partitions)).orElse(0L);
        if (behind <= activeBehind + SWITCH_SLACK && database.orElseThrow().activate(projection, generation, active, SWITCH_PATIENCE)) {
            rebuilds.put(projection.name(), new RebuildProgress(projection.name(), generation, true, done, total, rate,
                    Optional.of(Duration.ZERO)));
            active.ifPresent(g -> stop(applicationId(config.prefix(), projection.name(), g)));
        }
    }

    private void stop(String applicationId) {
        Running stopped = running.remove(applicationId);
        if (stopped != null) {
            stopped.streams().close(Duration.ofSeconds(10));
            log.info("Stopped {} (application {})", stopped.name(), applicationId);
        }
    }

    /**
     * Rebuilds a PostgreSQL projection from the first event: a new generation, with fresh tables, is filled
     * while the current one goes on serving; readers are switched to it atomically once it has caught up.
     * Returns at once; follow it with {@link #rebuildProgress}.
     */
    public synchronized RebuildProgress rebuild(String projection) {
        PostgresProjection<?> definition = postgresProjection(projection);
        Optional<ReadModelDatabase.Generation> building = database.orElseThrow().generations(projection).stream()
                .filter(g -> g.state() == ReadModelDatabase.GenerationState.BUILDING).findFirst();
        int generation = building.map(ReadModelDatabase.Generation::number)
                .orElseGet(() -> database.orElseThrow().createGeneration(definition));
        RebuildProgress started = new RebuildProgress(projection, generation, false, 0, 0, 0, Optional.empty());
        rebuilds.put(projection, started);
        keepHouseOnce();
        return rebuilds.getOrDefault(projection, started);
    }

    /** The progress of the latest rebuild of a projection in this process. */
    public Optional<RebuildProgress> rebuildProgress(String projection) {
        return Optional.ofNullable(rebuilds.get(projection));
    }

    // ---- status, queries, read-your-writes ----

    /** Waits for PostgreSQL read models to reflect a position. */
    public ReadYourWrites readYourWrites() {
        return readYourWrites.orElseThrow(() -> new IllegalStateException("no read-model database is configured"));
    }

    /**
     * Waits until a reactor has reacted to every event up to {@code position} (or {@code timeout} passes), and
     * says how it ended: {@code REACHED}, {@code DEAD_LETTERED} (the reaction to the append at {@code position}
     * failed and the event went to the reactor's dead-letter topic) or {@code TIMED_OUT}. The reactor must
     * run in this projector.
     */
    public ReadYourWrites.Outcome awaitReaction(String reactor, long position, Duration timeout) {
        if (!reactors.containsKey(reactor)) {
            throw new IllegalArgumentException("no reactor named '" + reactor + "' runs in this projector");
        }
        ReactionProgress progress = reactionProgress.computeIfAbsent(reactor, name -> {
            Running found = serving(name);
            return new ReactionProgress(kafka, config.bootstrapServers(), found.applicationId(), found.topics().getFirst(),
                    found.deadLetterTopic());
        });
        try {
            return progress.await(position, timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ReadYourWrites.Outcome.TIMED_OUT;
        }
    }

    /** The status of a projection (its serving generation) or a reactor. */
    public ProjectionStatus status(String name) {
        Optional<Integer> active = projections.containsKey(name) ? database.orElseThrow().activeGeneration(name) : Optional.of(0);
        Running found = running.values().stream()
                .filter(r -> r.name().equals(name) && active.map(g -> g == r.generation()).orElse(false))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("nothing named '" + name + "' runs in this projector"));
        long lag = kafka.lag(found.applicationId(), kafka.partitionsOf(found.topics()));
        return new ProjectionStatus(name, found.generation(), found.streams().state().name(), found.metrics().processed(),
                found.metrics().deadLetteredCount(), found.metrics().lastPosition(), lag,
                Optional.ofNullable(found.metrics().lastProcessedAt()), found.metrics().skipped());
    }

    /** Events processed in this process by everything running under {@code name} (cheap: no Kafka or database call). */
    long processedHere(String name) {
        return running.values().stream().filter(r -> r.name().equals(name)).mapToLong(r -> r.metrics().processed()).sum();
    }

    /** Records this process found already applied and left alone, for everything running under {@code name}. */
    long skippedHere(String name) {
        return running.values().stream().filter(r -> r.name().equals(name)).mapToLong(r -> r.metrics().skipped()).sum();
    }

    /** The names of everything this projector runs. */
    public List<String> names() {
        List<String> names = new ArrayList<>(projections.keySet());
        names.addAll(stateProjections.keySet());
        names.addAll(reactors.keySet());
        return names;
    }

    /**
     * The value a state projection holds for an aggregate, from this process's state stores (which hold
     * the partitions assigned here).
     */
    public <S> Optional<S> query(StateProjection<S, ?> projection, String aggregateId) {
        Running found = running.values().stream().filter(r -> r.name().equals(projection.name())).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("state projection " + projection.name() + " does not run here"));
        ReadOnlyKeyValueStore<String, byte[]> store = found.streams().store(
                StoreQueryParameters.fromNameAndType(projection.name(), QueryableStoreTypes.keyValueStore()));
        byte[] value = store.get(aggregateId);
        return value == null ? Optional.empty() : Optional.of(projection.valueCodec().decode(value));
    }

    // ---- dead letters ----

    /**
     * The dead letters of a PostgreSQL projection's serving generation that were not replayed yet (read from
     * PostgreSQL, where they are written with the positions that pass them), or of a state projection or
     * reactor (read from its dead-letter topic), oldest first.
     */
    public List<DeadLetter> deadLetters(String name) {
        Running found = serving(name);
        if (projections.containsKey(name)) {
            return database.orElseThrow().deadLetters(name, found.generation());
        }
        Map<String, Object> settings = Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.CLIENT_ID_CONFIG, "cqrs-dead-letter-reader");
        List<DeadLetter> letters = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(settings, new StringDeserializer(), new ByteArrayDeserializer())) {
            TopicPartition partition = new TopicPartition(found.deadLetterTopic(), 0);
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            long end = consumer.endOffsets(List.of(partition)).get(partition);
            while (consumer.position(partition) < end) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    letters.add(new DeadLetter(record.offset(), header(record, Delivery.DLT_SOURCE), header(record, Delivery.DLT_STAGE),
                            header(record, Delivery.DLT_ERROR), header(record, Delivery.DLT_FAILED_AT), parse(record),
                            record.key(), record.value()));
                }
            }
        }
        return letters;
    }

    /**
     * Applies a PostgreSQL projection's dead letters again (after a fix), each at most once, in its own
     * transaction; or runs a command reactor's reaction on them again (its idempotency keys keep that
     * safe). Letters that still fail stay where they are.
     *
     * @return how many were applied now
     */
    public int replayDeadLetters(String name) {
        if (projections.containsKey(name)) {
            return replayIntoReadModel(postgresProjection(name), serving(name).generation());
        }
        List<DeadLetter> letters = deadLetters(name);
        Reactor<?> reactor = reactors.get(name);
        if (reactor != null && reactor.reaction().isPresent()) {
            return replayReaction(reactor, letters);
        }
        throw new UnsupportedOperationException(name + ": only PostgreSQL projections and command reactors replay dead letters");
    }

    private <E> int replayIntoReadModel(PostgresProjection<E> projection, int generation) {
        ReadModelWriter writer = new ReadModelWriter(database.orElseThrow(), projection.name(), generation);
        int applied = 0;
        for (DeadLetter letter : database.orElseThrow().deadLetters(projection.name(), generation)) {
            if (letter.event().isEmpty()) {
                continue;
            }
            var raw = letter.event().get();
            try {
                E event = projection.codec().decode(new EncodedEvent(raw.eventType(), raw.contentType(), raw.payload()));
                SqlBatch sql = new SqlBatch();
                projection.apply(new ProjectionEvent<>(raw.globalPosition(), raw.stream(), raw.sequence(), event, raw.metadata(),
                        raw.tags()), sql);
                String source = letter.source();
                int at = source.lastIndexOf('@');
                int dash = source.lastIndexOf('-', at);
                TopicPartition partition = new TopicPartition(source.substring(0, dash), Integer.parseInt(source.substring(dash + 1, at)));
                if (writer.replay(partition, letter.offset(), sql.statements)) {
                    applied++;
                }
            } catch (SQLException e) {
                if (ReadModelStore.isUnavailable(e)) {
                    throw new IllegalStateException("cannot reach the read-model database: " + e.getMessage(), e);
                }
                log.warn("Projection {}: dead letter {} still fails: {}", projection.name(), letter.source(), e.toString());
            } catch (Exception e) {
                log.warn("Projection {}: dead letter {} still fails: {}", projection.name(), letter.source(), e.toString());
            }
        }
        return applied;
    }

    private <E> int replayReaction(Reactor<E> reactor, List<DeadLetter> letters) {
        int applied = 0;
        for (DeadLetter letter : letters) {
            if (letter.event().isEmpty()) {
                continue;
            }
            var raw = letter.event().get();
            try {
                E event = reactor.codec().decode(new EncodedEvent(raw.eventType(), raw.contentType(), raw.payload()));
                reactor.reaction().orElseThrow().react(new ReactionEvent<>(raw.globalPosition(), raw.stream(), raw.sequence(), event,
                        raw.metadata(), raw.tags()));
                applied++;
            } catch (Exception e) {
                log.warn("Reactor {}: dead letter {} still fails: {}", reactor.name(), letter.source(), e.toString());
            }
        }
        return applied;
    }

    private Running serving(String name) {
        Optional<Integer> active = projections.containsKey(name) ? database.orElseThrow().activeGeneration(name) : Optional.of(0);
        return running.values().stream()
                .filter(r -> r.name().equals(name) && active.map(g -> g == r.generation()).orElse(false))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("nothing named '" + name + "' runs in this projector"));
    }

    private PostgresProjection<?> postgresProjection(String name) {
        PostgresProjection<?> projection = projections.get(name);
        if (projection == null) {
            throw new IllegalArgumentException("no PostgreSQL projection named '" + name + "'");
        }
        return projection;
    }

    private static String header(ConsumerRecord<String, byte[]> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null ? "" : new String(header.value(), StandardCharsets.UTF_8);
    }

    private static Optional<dev.cqrs.core.RawEvent> parse(ConsumerRecord<String, byte[]> record) {
        try {
            return Optional.of(dev.cqrs.codec.kafka.EventRecords.fromRecord(record));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Stops every application (committing what they did), then the database pool. */
    @Override
    public void close() {
        closed = true;
        housekeeping.interrupt();
        synchronized (this) {
            for (String applicationId : List.copyOf(running.keySet())) {
                stop(applicationId);
            }
        }
        readYourWrites.ifPresent(ReadYourWrites::close);
        reactionProgress.values().forEach(ReactionProgress::close);
        kafka.close();
        database.ifPresent(ReadModelDatabase::close);
    }

    /** Collects what a {@link Projector} runs. */
    public static final class Builder {
        private final ProjectorConfig config;
        private final Map<String, PostgresProjection<?>> projections = new LinkedHashMap<>();
        private final Map<String, StateProjection<?, ?>> stateProjections = new LinkedHashMap<>();
        private final Map<String, Reactor<?>> reactors = new LinkedHashMap<>();

        private Builder(ProjectorConfig config) {
            this.config = config;
        }

        public Builder projection(PostgresProjection<?> projection) {
            unique(projection.name());
            projections.put(projection.name(), projection);
            return this;
        }

        public Builder stateProjection(StateProjection<?, ?> projection) {
            unique(projection.name());
            stateProjections.put(projection.name(), projection);
            return this;
        }

        public Builder reactor(Reactor<?> reactor) {
            unique(reactor.name());
            reactors.put(reactor.name(), reactor);
            return this;
        }

        private void unique(String name) {
            if (projections.containsKey(name) || stateProjections.containsKey(name) || reactors.containsKey(name)) {
                throw new IllegalArgumentException("'" + name + "' is registered twice");
            }
        }

        /** Starts everything; PostgreSQL projections get their first generation if they have none. */
        public Projector start() {
            Projector projector = new Projector(this);
            try {
                projector.start();
            } catch (RuntimeException e) {
                projector.close();
                throw e;
            }
            return projector;
        }
    }
}
