package dev.cqrs.embedded.kafka;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import kafka.tools.StorageTool;
import org.apache.kafka.common.Uuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The data directory of a single-node KRaft broker, whether it runs in this JVM or in a child
 * one: {@code server.properties}, {@code kafka-logs/} (log.dirs, metadata log included) and
 * {@code broker.log} (the child JVM's output).
 *
 * <p>The controller's endpoint is written into the metadata log when the storage is formatted
 * ({@code --standalone} makes this node the only voter), so the controller port is picked once and
 * kept with the data; the client port may change between runs.
 */
final class BrokerDirectory {

    private static final Logger LOG = LoggerFactory.getLogger(BrokerDirectory.class);
    private static final String HOST = "127.0.0.1";
    private static final Pattern BROKER_PORT = Pattern.compile("PLAINTEXT://[^,]*:(\\d+)");
    private static final Pattern CONTROLLER_PORT = Pattern.compile("CONTROLLER://[^,]*:(\\d+)");

    private final Path root;
    private final int brokerPort;
    private final int controllerPort;

    private BrokerDirectory(Path root, int brokerPort, int controllerPort) {
        this.root = root;
        this.brokerPort = brokerPort;
        this.controllerPort = controllerPort;
    }

    /**
     * Writes {@code server.properties} into {@code root} and formats the storage unless it was
     * formatted before, in which case the ports written then are kept (the client port unless
     * {@code requestedPort} says otherwise or it is taken now).
     */
    static BrokerDirectory prepare(Path root, int requestedPort) {
        try {
            root = Files.createDirectories(root.toAbsolutePath());
            Optional<Properties> previous = load(root.resolve("server.properties"));
            boolean formatted = Files.exists(root.resolve("kafka-logs").resolve("meta.properties"));
            int controllerPort;
            if (formatted && previous.isPresent()) {
                controllerPort = port(previous.get(), CONTROLLER_PORT);
                if (!isFree(controllerPort)) {
                    throw new IllegalStateException("port " + controllerPort + " of the Kafka controller"
                            + " formatted in " + root + " is taken (is that broker still running?)");
                }
            } else {
                controllerPort = freePort();
            }
            int brokerPort = requestedPort;
            if (brokerPort == 0) {
                brokerPort = previous.map(p -> port(p, BROKER_PORT))
                        .filter(p -> p != controllerPort && isFree(p))
                        .orElseGet(() -> freePortOtherThan(controllerPort));
            }
            var directory = new BrokerDirectory(root, brokerPort, controllerPort);
            directory.writeProperties();
            if (!formatted) {
                directory.format();
            }
            return directory;
        } catch (IOException e) {
            throw new UncheckedIOException("could not prepare the Kafka data directory " + root, e);
        }
    }

    Path root() {
        return root;
    }

    Path propertiesFile() {
        return root.resolve("server.properties");
    }

    Path logFile() {
        return root.resolve("broker.log");
    }

    String bootstrapServers() {
        return HOST + ":" + brokerPort;
    }

    int brokerPort() {
        return brokerPort;
    }

    /** The broker's configuration: a production broker's, reduced to one node. */
    Properties properties() {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("process.roles", "broker,controller");
        config.put("node.id", 1);
        config.put("listeners", "PLAINTEXT://" + HOST + ":" + brokerPort + ",CONTROLLER://" + HOST + ":" + controllerPort);
        config.put("advertised.listeners", "PLAINTEXT://" + HOST + ":" + brokerPort + ",CONTROLLER://" + HOST + ":" + controllerPort);
        config.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        config.put("controller.listener.names", "CONTROLLER");
        config.put("inter.broker.listener.name", "PLAINTEXT");
        config.put("controller.quorum.bootstrap.servers", HOST + ":" + controllerPort);
        config.put("log.dirs", root.resolve("kafka-logs").toString());
        // One node: every internal topic must make do with one replica, or transactions, consumer
        // groups and share groups would wait forever for replicas that never come.
        config.put("default.replication.factor", 1);
        config.put("min.insync.replicas", 1);
        config.put("offsets.topic.replication.factor", 1);
        config.put("transaction.state.log.replication.factor", 1);
        config.put("transaction.state.log.min.isr", 1);
        config.put("share.coordinator.state.topic.replication.factor", 1);
        config.put("share.coordinator.state.topic.min.isr", 1);
        // Fast start-up: 50 partitions per internal topic cost seconds on first use on two cores.
        config.put("offsets.topic.num.partitions", 1);
        config.put("transaction.state.log.num.partitions", 1);
        config.put("share.coordinator.state.topic.num.partitions", 1);
        config.put("group.initial.rebalance.delay.ms", 0);
        // Lets a test's consumers use sessions of a few seconds (the broker's floor is 6 s), so that a test of
        // what a paused member does after losing its partitions need not wait for the floor. Defaults unchanged.
        config.put("group.min.session.timeout.ms", 1_000);
        // After a SIGKILL the controller refuses the restarted broker's registration until the
        // dead incarnation's session expires (default 9 s, retried every 2 s): a shorter session
        // makes a restart after a kill take seconds less. Heartbeats stay 8 per session.
        config.put("broker.session.timeout.ms", 4_000);
        config.put("broker.heartbeat.interval.ms", 500);
        config.put("num.partitions", 1);
        // A transaction left open by a killed producer is aborted once its timeout passes, but the broker
        // looks for such transactions only every 10 s by default; consumers of read_committed data (and a
        // Kafka Streams application taking over the partitions) wait for it. Look every second.
        config.put("transaction.abort.timed.out.transaction.cleanup.interval.ms", 1_000);
        // The log cleaner (compacted topics) otherwise takes a 128 MiB buffer from the heap.
        config.put("log.cleaner.dedupe.buffer.size", 16 * 1024 * 1024);
        Properties properties = new Properties();
        config.forEach((key, value) -> properties.setProperty(key, String.valueOf(value)));
        return properties;
    }

    private void writeProperties() throws IOException {
        try (Writer writer = Files.newBufferedWriter(propertiesFile(), StandardCharsets.UTF_8)) {
            properties().store(writer, "single-node KRaft broker, written by cqrs-embedded");
        }
    }

    /** {@code kafka-storage.sh format -t <id> -c server.properties --standalone}, in this JVM. */
    private void format() {
        String clusterId = Uuid.randomUuid().toString();
        var output = new ByteArrayOutputStream();
        int exitCode;
        try (var printStream = new PrintStream(output, true, StandardCharsets.UTF_8)) {
            exitCode = StorageTool.execute(new String[] {
                    "format", "-t", clusterId, "-c", propertiesFile().toString(), "--standalone"}, printStream);
        } catch (Exception e) {
            throw new IllegalStateException("formatting the Kafka storage in " + root + " failed: "
                    + output.toString(StandardCharsets.UTF_8), e);
        }
        if (exitCode != 0) {
            throw new IllegalStateException("formatting the Kafka storage in " + root + " exited with "
                    + exitCode + ": " + output.toString(StandardCharsets.UTF_8));
        }
        LOG.debug("formatted Kafka storage in {} for cluster {}: {}", root, clusterId,
                output.toString(StandardCharsets.UTF_8).strip());
    }

    private static Optional<Properties> load(Path file) throws IOException {
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            properties.load(reader);
        }
        return Optional.of(properties);
    }

    private static int port(Properties properties, Pattern listener) {
        Matcher matcher = listener.matcher(properties.getProperty("listeners", ""));
        if (!matcher.find()) {
            throw new IllegalStateException("no " + listener.pattern() + " in listeners="
                    + properties.getProperty("listeners"));
        }
        return Integer.parseInt(matcher.group(1));
    }

    static boolean isFree(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getByName(HOST), port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 50, InetAddress.getByName(HOST))) {
            return socket.getLocalPort();
        }
    }

    private static int freePortOtherThan(int taken) {
        try {
            int port;
            do {
                port = freePort();
            } while (port == taken);
            return port;
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on " + HOST, e);
        }
    }
}
