package dev.cqrs.embedded.kafka;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Properties;
import java.util.stream.Stream;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A single-node KRaft broker in this JVM: {@code KafkaRaftServer}, as {@code kafka.Kafka} runs it. */
final class InProcessKafkaBroker implements KafkaBroker {

    private static final Logger LOG = LoggerFactory.getLogger(InProcessKafkaBroker.class);
    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(60);

    private final BrokerDirectory directory;
    private final boolean temporary;
    private final KafkaRaftServer server;
    private boolean closed; // guarded by this

    private InProcessKafkaBroker(BrokerDirectory directory, boolean temporary, KafkaRaftServer server) {
        this.directory = directory;
        this.temporary = temporary;
        this.server = server;
    }

    static InProcessKafkaBroker start(KafkaOptions options) {
        long started = System.nanoTime();
        Path root;
        try {
            root = options.dataDirectory().isPresent()
                    ? options.dataDirectory().get()
                    : Files.createTempDirectory("cqrs-kafka-");
        } catch (IOException e) {
            throw new UncheckedIOException("could not create a temporary Kafka data directory", e);
        }
        BrokerLogLevels.quietenUnconfigured();
        BrokerDirectory directory = BrokerDirectory.prepare(root, options.port());
        var server = new KafkaRaftServer(new KafkaConfig(directory.properties()), Time.SYSTEM);
        var broker = new InProcessKafkaBroker(directory, options.dataDirectory().isEmpty(), server);
        try {
            server.startup();
            Topics.awaitReady(directory.bootstrapServers(), STARTUP_TIMEOUT, () -> true,
                    () -> "See the log of this JVM.");
        } catch (RuntimeException e) {
            broker.close();
            throw e;
        }
        LOG.info("embedded Kafka {} (KRaft, in-process) ready in {} s at {} (data directory {})",
                kafkaVersion(), seconds(System.nanoTime() - started), directory.bootstrapServers(),
                broker.temporary ? "temporary" : directory.root());
        return broker;
    }

    @Override
    public String bootstrapServers() {
        return directory.bootstrapServers();
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        long started = System.nanoTime();
        try {
            server.shutdown();
            server.awaitShutdown();
        } catch (RuntimeException e) {
            LOG.warn("the in-process Kafka broker at {} did not shut down cleanly", bootstrapServers(), e);
        }
        if (temporary) {
            deleteRecursively(directory.root());
        }
        LOG.info("embedded Kafka at {} stopped in {} s", bootstrapServers(), seconds(System.nanoTime() - started));
    }

    @Override
    public String toString() {
        return "in-process Kafka at " + bootstrapServers();
    }

    /** The version of the Kafka jars, as their clients report it. */
    static String kafkaVersion() {
        try (InputStream in = KafkaRaftServer.class.getClassLoader()
                .getResourceAsStream("kafka/kafka-version.properties")) {
            Properties properties = new Properties();
            if (in != null) {
                properties.load(in);
            }
            return properties.getProperty("version", "(unknown version)");
        } catch (IOException e) {
            return "(unknown version)";
        }
    }

    static String seconds(long nanos) {
        return String.format("%.1f", nanos / 1e9);
    }

    static void deleteRecursively(Path directory) {
        try (Stream<Path> paths = Files.walk(directory)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            LOG.warn("could not delete {}", directory, e);
        }
    }
}
