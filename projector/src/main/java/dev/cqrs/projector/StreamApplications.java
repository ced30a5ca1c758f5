package dev.cqrs.projector;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaClientSupplier;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.state.Stores;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Kafka Streams applications of one projector: it builds each one's topology (a generation of a
 * PostgreSQL projection, a state projection, a reactor), starts it with exactly_once_v2, and keeps it
 * until it is stopped. Every application has a dead-letter topic; a stream thread that fails is replaced.
 */
final class StreamApplications implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(StreamApplications.class);

    /**
     * One application that runs.
     *
     * @param generation the PostgreSQL projection's generation; 0 for a state projection or a reactor
     */
    record Running(String name, int generation, String applicationId, String deadLetterTopic, List<String> topics,
                   KafkaStreams streams, ProjectionMetrics metrics) {
    }

    private final ProjectorConfig config;
    private final KafkaOffsets kafka;
    private final Map<String, Running> running = new ConcurrentHashMap<>();

    StreamApplications(ProjectorConfig config, KafkaOffsets kafka) {
        this.config = config;
        this.kafka = kafka;
    }

    static String deadLetterTopic(String applicationId) {
        return applicationId + ".dlt";
    }

    /**
     * Starts a generation of a PostgreSQL projection: handlers write into its schema through a store per
     * task, and partitions resume from what its read model holds when Kafka's committed offsets are ahead.
     */
    <E> void startPostgres(PostgresProjection<E> projection, Generation generation, ReadModelDatabase database) {
        database.ensureDeadLetters(generation);
        ProjectionMetrics metrics = new ProjectionMetrics();
        Topology topology = new Topology();
        topology.addSource("events", new StringDeserializer(), new ByteArrayDeserializer(), projection.topics().toArray(String[]::new));
        topology.addProcessor("project", () -> new ReadModelProcessor<>(projection, generation.storeName(),
                config.getInt(ProjectorConfig.HANDLER_ATTEMPTS), metrics), "events");
        ReadModelStore.Builder store = new ReadModelStore.Builder(generation, database, config.getInt(ProjectorConfig.BATCH_MAX_EVENTS),
                config.flushInterval(), metrics);
        topology.addStateStore(store, "project");
        ReadModelResume resume = new ReadModelResume(generation, () -> database.applied(generation), store.shared().writer());
        launch(projection.name(), generation.number(), generation.applicationId(config.prefix()), projection.topics(), topology,
                "project", metrics, Optional.of(resume));
    }

    /** Starts a state projection: a fold per aggregate, kept in a state store Kafka Streams restores from its changelog. */
    <S, E> void startState(StateProjection<S, E> projection) {
        ProjectionMetrics metrics = new ProjectionMetrics();
        Topology topology = new Topology();
        topology.addSource("events", new StringDeserializer(), new ByteArrayDeserializer(), projection.topic());
        topology.addProcessor("fold", () -> new StateProcessor<>(projection, metrics), "events");
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(projection.name()),
                Serdes.String(), Serdes.ByteArray()), "fold");
        launch(projection.name(), 0, config.prefix() + "-state-" + projection.name(), List.of(projection.topic()), topology, "fold",
                metrics, Optional.empty());
    }

    /** Starts a reactor: its reaction runs on every event; a reactor that writes to a topic gets a sink to it. */
    <E> void startReactor(Reactor<E> reactor) {
        ProjectionMetrics metrics = new ProjectionMetrics();
        Topology topology = new Topology();
        topology.addSource("events", new StringDeserializer(), new ByteArrayDeserializer(), reactor.topic());
        topology.addProcessor("react", () -> new ReactorProcessor<>(reactor, config.getInt(ProjectorConfig.HANDLER_ATTEMPTS), metrics),
                "events");
        if (reactor instanceof Reactor.ToTopic<E> toTopic) {
            kafka.createTopic(toTopic.outputTopic(), 6);
            topology.addSink(ReactorProcessor.OUTPUT_SINK, toTopic.outputTopic(), new StringSerializer(), new ByteArraySerializer(),
                    "react");
        }
        launch(reactor.name(), 0, config.prefix() + "-reactor-" + reactor.name().replaceAll("[^a-zA-Z0-9._-]", "_"),
                List.of(reactor.topic()), topology, "react", metrics, Optional.empty());
    }

    private void launch(String name, int generation, String applicationId, List<String> topics, Topology topology,
                        String processor, ProjectionMetrics metrics, Optional<KafkaClientSupplier> clients) {
        String deadLetterTopic = deadLetterTopic(applicationId);
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

    /**
     * Stream threads wait in poll as Kafka Streams' default says (100 ms): records end a poll at once, so
     * that costs no latency, and an idle thread does not wake up hundreds of times a second. A PostgreSQL
     * projection's timed flush runs on a timer of its own ({@link ReadModelStore}), not in this loop.
     */
    private Properties streamsProperties(String applicationId) {
        Properties props = new Properties();
        props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, config.getInt(ProjectorConfig.STREAM_THREADS));
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

    boolean isRunning(String applicationId) {
        return running.containsKey(applicationId);
    }

    /** Everything running under a name: a projection's generations, or one state projection or reactor. */
    Stream<Running> named(String name) {
        return running.values().stream().filter(r -> r.name().equals(name));
    }

    /**
     * What serves a name: the running application of {@code generation} (0 for a state projection or a
     * reactor), when there is one.
     */
    Optional<Running> serving(String name, int generation) {
        return named(name).filter(r -> r.generation() == generation).findFirst();
    }

    /** Stops an application, committing what it did. */
    void stop(String applicationId) {
        Running stopped = running.remove(applicationId);
        if (stopped != null) {
            stopped.streams().close(Duration.ofSeconds(10));
            log.info("Stopped {} (application {})", stopped.name(), applicationId);
        }
    }

    /** Stops every application. */
    @Override
    public void close() {
        for (String applicationId : List.copyOf(running.keySet())) {
            stop(applicationId);
        }
    }
}
