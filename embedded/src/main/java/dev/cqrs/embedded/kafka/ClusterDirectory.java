package dev.cqrs.embedded.kafka;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import kafka.tools.StorageTool;
import org.apache.kafka.common.Uuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The data directory of a {@link KafkaCluster}: {@code cluster.properties} (the cluster id and every
 * node's ports, picked once and kept, since the controller voters' endpoints are part of every node's
 * configuration) and one {@code node-<id>/} per node with its {@code server.properties},
 * {@code logback.xml}, {@code kafka-logs/} (metadata log included) and {@code broker.log}.
 *
 * <p>Each node is a combined KRaft node (broker and controller) and a voter of a static quorum
 * ({@code controller.quorum.voters}), formatted with the same cluster id.
 */
final class ClusterDirectory {

    private static final Logger LOG = LoggerFactory.getLogger(ClusterDirectory.class);
    static final String HOST = "127.0.0.1";

    /** One node's ports: clients and replication, the controller quorum, and per link the listener and its proxy. */
    record NodePorts(int id, int plaintext, int controller, Map<String, Integer> linkListeners, Map<String, Integer> linkProxies) {
    }

    private final Path root;
    private final KafkaClusterOptions options;
    private final String clusterId;
    private final List<NodePorts> nodes;

    private ClusterDirectory(Path root, KafkaClusterOptions options, String clusterId, List<NodePorts> nodes) {
        this.root = root;
        this.options = options;
        this.clusterId = clusterId;
        this.nodes = nodes;
    }

    /**
     * Reads {@code cluster.properties} from {@code root}, or picks ports and a cluster id for a new
     * cluster; writes every node's configuration and formats the nodes not formatted yet.
     */
    static ClusterDirectory prepare(Path root, KafkaClusterOptions options) {
        try {
            root = Files.createDirectories(root.toAbsolutePath());
            Path file = root.resolve("cluster.properties");
            Properties saved = new Properties();
            if (Files.exists(file)) {
                try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                    saved.load(reader);
                }
                int savedNodes = Integer.parseInt(saved.getProperty("nodes"));
                if (savedNodes != options.nodes()) {
                    throw new IllegalStateException("the Kafka cluster in " + root + " has " + savedNodes
                            + " nodes; asked for " + options.nodes() + " (use another directory)");
                }
            }
            String clusterId = saved.getProperty("cluster.id", Uuid.randomUuid().toString());
            saved.setProperty("cluster.id", clusterId);
            saved.setProperty("nodes", Integer.toString(options.nodes()));
            List<String> missing = new ArrayList<>();
            for (int id = 1; id <= options.nodes(); id++) {
                missing.add("node." + id + ".plaintext.port");
                missing.add("node." + id + ".controller.port");
                for (String link : options.links()) {
                    missing.add("node." + id + ".link." + link + ".port");
                    missing.add("node." + id + ".link." + link + ".proxy.port");
                }
            }
            missing.removeIf(saved::containsKey);
            List<Integer> ports = freePorts(missing.size());
            for (int i = 0; i < missing.size(); i++) {
                saved.setProperty(missing.get(i), Integer.toString(ports.get(i)));
            }
            List<NodePorts> nodes = IntStream.rangeClosed(1, options.nodes()).mapToObj(id -> {
                Map<String, Integer> listeners = new LinkedHashMap<>();
                Map<String, Integer> proxies = new LinkedHashMap<>();
                for (String link : options.links()) {
                    listeners.put(link, port(saved, "node." + id + ".link." + link + ".port"));
                    proxies.put(link, port(saved, "node." + id + ".link." + link + ".proxy.port"));
                }
                return new NodePorts(id, port(saved, "node." + id + ".plaintext.port"),
                        port(saved, "node." + id + ".controller.port"), Map.copyOf(listeners), Map.copyOf(proxies));
            }).toList();
            try (Writer writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
                saved.store(writer, "Kafka cluster written by cqrs-embedded: its id and its nodes' ports");
            }
            var directory = new ClusterDirectory(root, options, clusterId, nodes);
            for (NodePorts node : nodes) {
                directory.writeNode(node);
            }
            return directory;
        } catch (IOException e) {
            throw new UncheckedIOException("could not prepare the Kafka cluster directory " + root, e);
        }
    }

    Path root() {
        return root;
    }

    List<NodePorts> nodes() {
        return nodes;
    }

    KafkaClusterOptions options() {
        return options;
    }

    Path nodeDirectory(int id) {
        return root.resolve("node-" + id);
    }

    Path propertiesFile(int id) {
        return nodeDirectory(id).resolve("server.properties");
    }

    Path logFile(int id) {
        return nodeDirectory(id).resolve("broker.log");
    }

    Path logbackFile(int id) {
        return nodeDirectory(id).resolve("logback.xml");
    }

    /** Every node's PLAINTEXT listener, comma-separated. */
    String bootstrapServers() {
        return nodes.stream().map(node -> HOST + ":" + node.plaintext()).collect(Collectors.joining(","));
    }

    /** The configuration of node {@code node}: a production node's, with the timeouts of a test bench. */
    Properties properties(NodePorts node) {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("process.roles", "broker,controller");
        config.put("node.id", node.id());
        config.put("controller.quorum.voters", nodes.stream()
                .map(voter -> voter.id() + "@" + HOST + ":" + voter.controller()).collect(Collectors.joining(",")));
        StringBuilder listeners = new StringBuilder("PLAINTEXT://" + HOST + ":" + node.plaintext()
                + ",CONTROLLER://" + HOST + ":" + node.controller());
        StringBuilder advertised = new StringBuilder("PLAINTEXT://" + HOST + ":" + node.plaintext());
        StringBuilder protocols = new StringBuilder("PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        for (String link : options.links()) {
            String listener = listenerName(link);
            listeners.append(',').append(listener).append("://").append(HOST).append(':').append(node.linkListeners().get(link));
            // Clients of this link learn the proxies' addresses from metadata, so they never bypass them.
            advertised.append(',').append(listener).append("://").append(HOST).append(':').append(node.linkProxies().get(link));
            protocols.append(',').append(listener).append(":PLAINTEXT");
        }
        config.put("listeners", listeners);
        config.put("advertised.listeners", advertised);
        config.put("listener.security.protocol.map", protocols);
        config.put("controller.listener.names", "CONTROLLER");
        config.put("inter.broker.listener.name", "PLAINTEXT");
        config.put("log.dirs", nodeDirectory(node.id()).resolve("kafka-logs").toString());
        // Durability as in production: three replicas, two of them in sync for an acks=all write, so a
        // write acknowledged before a node dies is on a node that lives; no unclean elections.
        int replicas = options.replicationFactor();
        int minInsync = options.minInsyncReplicas();
        config.put("default.replication.factor", replicas);
        config.put("min.insync.replicas", minInsync);
        config.put("offsets.topic.replication.factor", replicas);
        config.put("transaction.state.log.replication.factor", replicas);
        config.put("transaction.state.log.min.isr", minInsync);
        config.put("share.coordinator.state.topic.replication.factor", replicas);
        config.put("share.coordinator.state.topic.min.isr", minInsync);
        config.put("unclean.leader.election.enable", false);
        // A few partitions per internal topic (production: 50) keep the start fast on two cores while
        // coordinators still spread over the nodes.
        config.put("offsets.topic.num.partitions", options.nodes());
        config.put("transaction.state.log.num.partitions", options.nodes());
        config.put("share.coordinator.state.topic.num.partitions", 1);
        config.put("num.partitions", 1);
        config.put("group.initial.rebalance.delay.ms", 0);
        // A SIGKILLed node is fenced, and its partitions led elsewhere, once its session expires
        // (default 9 s); a restarted one is accepted once the dead incarnation's session has expired.
        config.put("broker.session.timeout.ms", 4_000);
        config.put("broker.heartbeat.interval.ms", 500);
        // Transactions a killed producer left open are looked for every second (default 10 s).
        config.put("transaction.abort.timed.out.transaction.cleanup.interval.ms", 1_000);
        // The log cleaner (compacted topics) otherwise takes a 128 MiB buffer from the heap.
        config.put("log.cleaner.dedupe.buffer.size", 16 * 1024 * 1024);
        Properties properties = new Properties();
        config.forEach((key, value) -> properties.setProperty(key, String.valueOf(value)));
        return properties;
    }

    static String listenerName(String link) {
        return "LINK_" + link.toUpperCase(Locale.ROOT);
    }

    private void writeNode(NodePorts node) throws IOException {
        Path directory = Files.createDirectories(nodeDirectory(node.id()));
        try (Writer writer = Files.newBufferedWriter(propertiesFile(node.id()), StandardCharsets.UTF_8)) {
            properties(node).store(writer, "node " + node.id() + " of a " + options.nodes()
                    + "-node KRaft cluster, written by cqrs-embedded");
        }
        Files.writeString(logbackFile(node.id()), """
                <configuration>
                  <!-- written by cqrs-embedded: the node's log goes to stdout, which is appended to broker.log -->
                  <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
                    <encoder><pattern>%d{HH:mm:ss.SSS} %-5level [%thread] %logger{36} - %msg%n</pattern></encoder>
                  </appender>
                  <logger name="state.change.logger" level="WARN"/>
                  <logger name="kafka.request.logger" level="WARN"/>
                  <logger name="org.apache.kafka.clients" level="WARN"/>
                  <logger name="org.apache.kafka.common.config" level="WARN"/>
                  <root level="INFO"><appender-ref ref="OUT"/></root>
                </configuration>
                """);
        if (!Files.exists(nodeDirectory(node.id()).resolve("kafka-logs").resolve("meta.properties"))) {
            format(node.id());
        }
    }

    /** {@code kafka-storage.sh format -t <cluster id> -c server.properties}: a static quorum needs no more. */
    private void format(int id) {
        var output = new ByteArrayOutputStream();
        int exitCode;
        try (var printStream = new PrintStream(output, true, StandardCharsets.UTF_8)) {
            exitCode = StorageTool.execute(new String[] {"format", "-t", clusterId, "-c", propertiesFile(id).toString()}, printStream);
        } catch (Exception e) {
            throw new IllegalStateException("formatting node " + id + " of the Kafka cluster in " + root + " failed: "
                    + output.toString(StandardCharsets.UTF_8), e);
        }
        if (exitCode != 0) {
            throw new IllegalStateException("formatting node " + id + " of the Kafka cluster in " + root + " exited with "
                    + exitCode + ": " + output.toString(StandardCharsets.UTF_8));
        }
        LOG.debug("formatted node {} of Kafka cluster {} in {}", id, clusterId, nodeDirectory(id));
    }

    private static int port(Properties properties, String key) {
        return Integer.parseInt(properties.getProperty(key));
    }

    /** {@code count} distinct free ports of 127.0.0.1, all held open while they are picked. */
    private static List<Integer> freePorts(int count) throws IOException {
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                sockets.add(new ServerSocket(0, 50, InetAddress.getByName(HOST)));
            }
            return sockets.stream().map(ServerSocket::getLocalPort).toList();
        } finally {
            for (ServerSocket socket : sockets) {
                socket.close();
            }
        }
    }
}
