package dev.cqrs.embedded.kafka;

import dev.cqrs.embedded.network.FaultProxy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Kafka cluster of three (or 1 to 9) KRaft nodes, each a JVM of its own, for fault tests and
 * {@code ./cqrs dev --cluster}: topics with three replicas and {@code min.insync.replicas=2}, nodes
 * that a test kills with SIGKILL, pauses with SIGSTOP and restarts on their data, and the questions a
 * fault test asks before it strikes: which node leads this partition, which one coordinates this
 * transactional id or group, which one is the active controller.
 *
 * <pre>{@code
 * try (KafkaCluster cluster = KafkaCluster.start(KafkaClusterOptions.threeNodes())) {
 *     ... producers and consumers on cluster.bootstrapServers() ...
 *     KafkaClusterNode coordinator = cluster.node(cluster.transactionCoordinatorOf("cqrs-relay-cqrs"));
 *     coordinator.kill();
 *     ... the others take over ...
 *     coordinator.restart();
 *     cluster.awaitFullyReplicated(Duration.ofMinutes(1));
 * }
 * }</pre>
 *
 * <p>Every node is a broker and a controller voter (combined mode, a static quorum of all nodes):
 * three JVMs rather than six on a two-core machine, and a kill then also takes a voter, and sometimes
 * the active controller, with it, as losing a host of a small production cluster does. Two of three
 * voters keep the quorum.
 *
 * <p>With {@link KafkaClusterOptions#links()}, clients of each named link reach every node through a
 * {@link FaultProxy} of their own ({@link #bootstrapServers(String)}, {@link #links(String)}): the
 * nodes advertise the proxies' addresses on that link's listener, so a client that learns addresses
 * from metadata still never bypasses its proxies. Replication and {@link #bootstrapServers()} go
 * direct.
 */
public final class KafkaCluster implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaCluster.class);
    private static final String TRANSACTION_STATE_TOPIC = "__transaction_state";
    private static final String CONSUMER_OFFSETS_TOPIC = "__consumer_offsets";

    private final ClusterDirectory directory;
    private final boolean temporary;
    private final Map<Integer, KafkaClusterNode> nodes = new TreeMap<>();
    private final Map<String, List<FaultProxy>> links = new LinkedHashMap<>();
    private Admin admin; // made once every node serves, so that it does not warn while they start
    private boolean closed; // guarded by this

    private KafkaCluster(ClusterDirectory directory, boolean temporary) {
        this.directory = directory;
        this.temporary = temporary;
        for (ClusterDirectory.NodePorts ports : directory.nodes()) {
            nodes.put(ports.id(), new KafkaClusterNode(directory, ports));
        }
        for (String link : directory.options().links()) {
            links.put(link, directory.nodes().stream()
                    .map(ports -> FaultProxy.start(link + "->kafka-" + ports.id(), ports.linkProxies().get(link),
                            ports.linkListeners().get(link)))
                    .toList());
        }
    }

    /**
     * Prepares the data directory (formatting nodes on first use; a directory used before keeps its
     * data and ports), starts every node's JVM, and blocks until each serves as a registered broker
     * (10-40 s on two cores). A temporary cluster is closed by a shutdown hook if not before; one on a
     * kept directory must be closed by its owner (a node JVM left running is killed when the cluster
     * next starts on that directory).
     *
     * @throws IllegalStateException when a node does not start in time (the message has its log's tail)
     */
    public static KafkaCluster start(KafkaClusterOptions options) {
        long started = System.nanoTime();
        Path root;
        try {
            root = options.dataDirectory().isPresent()
                    ? options.dataDirectory().get()
                    : Files.createTempDirectory("cqrs-kafka-cluster-");
        } catch (IOException e) {
            throw new UncheckedIOException("could not create a temporary Kafka cluster directory", e);
        }
        var cluster = new KafkaCluster(ClusterDirectory.prepare(root, options), options.dataDirectory().isEmpty());
        if (cluster.temporary) {
            // A kept cluster is its owner's to close, in the order the owner needs (dev mode: after the service).
            Runtime.getRuntime().addShutdownHook(new Thread(cluster::close, "cqrs-kafka-cluster-shutdown"));
        }
        try {
            cluster.nodes.values().forEach(KafkaClusterNode::launch);
            for (KafkaClusterNode node : cluster.nodes.values()) {
                node.awaitServing(KafkaClusterNode.STARTUP_TIMEOUT);
            }
            cluster.admin = Admin.create(Map.of(
                    AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers(),
                    AdminClientConfig.CLIENT_ID_CONFIG, "cqrs-embedded-cluster-admin",
                    AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000,
                    AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000,
                    AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 200));
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
        LOG.info("Kafka cluster of {} KRaft nodes (separate JVMs) ready in {} s at {} (replication factor {},"
                        + " min.insync.replicas {}; data directory {}{})",
                options.nodes(), InProcessKafkaBroker.seconds(System.nanoTime() - started), cluster.bootstrapServers(),
                options.replicationFactor(), options.minInsyncReplicas(), cluster.temporary ? "temporary" : root,
                options.links().isEmpty() ? "" : "; links " + String.join(", ", options.links()));
        return cluster;
    }

    /** Every node's direct address, comma-separated: the {@code bootstrap.servers} value for clients. */
    public String bootstrapServers() {
        return directory.bootstrapServers();
    }

    /**
     * The {@code bootstrap.servers} value for the clients of {@code link}: its proxies' addresses.
     *
     * @throws IllegalArgumentException when the cluster has no such link
     */
    public String bootstrapServers(String link) {
        return links(link).stream().map(FaultProxy::address).collect(Collectors.joining(","));
    }

    /** The fault proxies of {@code link}, one in front of each node, in node order. */
    public List<FaultProxy> links(String link) {
        List<FaultProxy> proxies = links.get(link);
        if (proxies == null) {
            throw new IllegalArgumentException("the Kafka cluster has no link '" + link + "'; it has " + links.keySet()
                    + " (KafkaClusterOptions.withLinks)");
        }
        return proxies;
    }

    /** The fault proxy of {@code link} in front of node {@code nodeId}. */
    public FaultProxy link(String link, int nodeId) {
        node(nodeId);
        return links(link).get(nodeId - 1);
    }

    /** The nodes, by id. */
    public List<KafkaClusterNode> nodes() {
        return List.copyOf(nodes.values());
    }

    /** The node of that id. */
    public KafkaClusterNode node(int id) {
        KafkaClusterNode node = nodes.get(id);
        if (node == null) {
            throw new IllegalArgumentException("the Kafka cluster has nodes " + nodes.keySet() + ", not " + id);
        }
        return node;
    }

    /** The cluster's data directory. */
    public Path dataDirectory() {
        return directory.root();
    }

    /** Replicas per partition of the topics it creates (and of the internal ones): 3. */
    public int replicationFactor() {
        return directory.options().replicationFactor();
    }

    /**
     * Creates a topic with the cluster's replication factor and waits until it exists.
     *
     * @throws IllegalStateException when it exists already or cannot be created
     */
    public void createTopic(String name, int partitions) {
        Topics.create(bootstrapServers(), name, partitions);
    }

    /**
     * Creates a topic whose every partition has {@code leader} as its preferred leader (its first
     * replica) and the other replicas spread over the other nodes, and waits until each partition is
     * led by it: a test that kills {@code leader} then takes the leadership of every partition at once.
     */
    public void createTopicLedBy(String name, int partitions, int leader, Map<String, String> configs) {
        node(leader);
        List<Integer> others = nodes.keySet().stream().filter(id -> id != leader).toList();
        Map<Integer, List<Integer>> assignment = new LinkedHashMap<>();
        for (int partition = 0; partition < partitions; partition++) {
            List<Integer> replicas = new ArrayList<>();
            replicas.add(leader);
            for (int i = 0; i < replicationFactor() - 1; i++) {
                replicas.add(others.get((partition + i) % others.size()));
            }
            assignment.put(partition, replicas);
        }
        await(admin.createTopics(List.of(new NewTopic(name, assignment).configs(configs))).all(),
                "creating topic " + name + " led by node " + leader);
        awaitCondition(Duration.ofSeconds(30), "every partition of " + name + " led by node " + leader,
                () -> leaders(name).values().stream().allMatch(l -> l.isPresent() && l.getAsInt() == leader));
    }

    /** The node leading {@code partition} now, if any is. */
    public OptionalInt leaderOf(TopicPartition partition) {
        return Optional.ofNullable(leaders(partition.topic()).get(partition.partition())).orElse(OptionalInt.empty());
    }

    /** Each partition of {@code topic} and the node leading it now (empty while it has no leader). */
    public Map<Integer, OptionalInt> leaders(String topic) {
        TopicDescription description = await(admin.describeTopics(List.of(topic)).allTopicNames(), "describing " + topic)
                .get(topic);
        Map<Integer, OptionalInt> leaders = new TreeMap<>();
        for (TopicPartitionInfo partition : description.partitions()) {
            Node leader = partition.leader();
            leaders.put(partition.partition(), leader == null || leader.isEmpty() ? OptionalInt.empty() : OptionalInt.of(leader.id()));
        }
        return leaders;
    }

    /**
     * The node that coordinates {@code transactionalId}'s transactions now: the leader of its partition
     * of {@code __transaction_state} (Kafka's own {@code abs(hashCode) % partitions}), which is where a
     * producer with that id sends its InitProducerId, AddPartitions and EndTxn. Works before the id was
     * ever used.
     *
     * @throws IllegalStateException when that partition has no leader now
     */
    public int transactionCoordinatorOf(String transactionalId) {
        return coordinatorOf(TRANSACTION_STATE_TOPIC, transactionalId,
                () -> admin.describeTransactions(List.of(transactionalId)).description(transactionalId));
    }

    /**
     * The node that coordinates consumer (or Kafka Streams) group {@code groupId} now: the leader of its
     * partition of {@code __consumer_offsets}. Works before the group exists.
     *
     * @throws IllegalStateException when that partition has no leader now
     */
    public int groupCoordinatorOf(String groupId) {
        return coordinatorOf(CONSUMER_OFFSETS_TOPIC, groupId,
                () -> admin.describeConsumerGroups(List.of(groupId)).describedGroups().get(groupId));
    }

    /**
     * The leader of {@code key}'s partition of the coordinators' topic {@code internalTopic}. Kafka creates
     * that topic when a coordinator is first looked for, so {@code lookUp} is asked once when it is missing.
     */
    private int coordinatorOf(String internalTopic, String key, java.util.function.Supplier<KafkaFuture<?>> lookUp) {
        if (!topicExists(internalTopic)) {
            try {
                lookUp.get().get(20, TimeUnit.SECONDS);
            } catch (ExecutionException | TimeoutException e) {
                LOG.debug("looked up the coordinator of {} to have {} created: {}", key, internalTopic, e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while looking up the coordinator of " + key, e);
            }
            awaitCondition(Duration.ofSeconds(30), internalTopic + " to be created",
                    () -> leaders(internalTopic).values().stream().allMatch(OptionalInt::isPresent));
        }
        int partitions = leaders(internalTopic).size();
        int partition = Utils.abs(key.hashCode()) % partitions;
        return leaderOf(new TopicPartition(internalTopic, partition)).orElseThrow(() -> new IllegalStateException(
                "partition " + partition + " of " + internalTopic + " (coordinator of " + key + ") has no leader now"));
    }

    /** The node that is the active controller (the quorum's leader) now. */
    public int activeController() {
        return await(admin.describeMetadataQuorum().quorumInfo(), "describing the metadata quorum").leaderId();
    }

    /**
     * Waits until every node serves and every partition of every topic has all its replicas in sync:
     * after a restart, the cluster can lose another node again without losing a partition.
     *
     * @throws IllegalStateException naming the partitions still short of replicas after {@code timeout}
     */
    public void awaitFullyReplicated(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (KafkaClusterNode node : nodes.values()) {
            node.awaitServing(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        }
        String[] lagging = {""};
        awaitCondition(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())), "every partition fully in sync", () -> {
            Set<String> topics = await(admin.listTopics(new org.apache.kafka.clients.admin.ListTopicsOptions().listInternal(true))
                    .names(), "listing topics");
            Map<String, TopicDescription> described = await(admin.describeTopics(topics).allTopicNames(), "describing topics");
            lagging[0] = described.values().stream()
                    .flatMap(topic -> topic.partitions().stream()
                            .filter(partition -> partition.isr().size() < partition.replicas().size())
                            .map(partition -> topic.name() + "-" + partition.partition() + " (in sync "
                                    + partition.isr().stream().map(Node::id).toList() + " of "
                                    + partition.replicas().stream().map(Node::id).toList() + ")"))
                    .collect(Collectors.joining(", "));
            return lagging[0].isEmpty();
        }, () -> "still short of replicas: " + lagging[0]);
    }

    private boolean topicExists(String topic) {
        return await(admin.listTopics(new org.apache.kafka.clients.admin.ListTopicsOptions().listInternal(true)).names(),
                "listing topics").contains(topic);
    }

    /**
     * Stops every node and every proxy. A temporary cluster's nodes are SIGKILLed and its directory
     * deleted; a kept one's nodes stop gracefully, all at once (a node stopping alone would wait for a
     * controller quorum that its peers, stopping too, no longer form).
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        long started = System.nanoTime();
        if (admin != null) {
            admin.close(Duration.ofSeconds(2));
        }
        if (temporary) {
            nodes.values().stream().filter(KafkaClusterNode::isAlive).forEach(KafkaClusterNode::kill);
        } else {
            List<Thread> stopping = nodes.values().stream()
                    .map(node -> Thread.ofPlatform().name("cqrs-kafka-node-" + node.id() + "-stop").start(node::stop))
                    .toList();
            for (Thread thread : stopping) {
                try {
                    thread.join(Duration.ofSeconds(45));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        links.values().forEach(proxies -> proxies.forEach(FaultProxy::close));
        if (temporary) {
            InProcessKafkaBroker.deleteRecursively(directory.root());
        }
        LOG.info("Kafka cluster at {} stopped in {} s", bootstrapServers(), InProcessKafkaBroker.seconds(System.nanoTime() - started));
    }

    @Override
    public String toString() {
        return "Kafka cluster of " + nodes.size() + " nodes at " + bootstrapServers();
    }

    private <T> T await(KafkaFuture<T> call, String what) {
        try {
            return call.get(20, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException(what + " failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException(what + " took longer than 20 s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while " + what, e);
        }
    }

    private static void awaitCondition(Duration timeout, String what, java.util.function.BooleanSupplier condition) {
        awaitCondition(timeout, what, condition, () -> "");
    }

    private static void awaitCondition(Duration timeout, String what, java.util.function.BooleanSupplier condition,
                                       java.util.function.Supplier<String> diagnostics) {
        long deadline = System.nanoTime() + timeout.toNanos();
        RuntimeException last = null;
        while (System.nanoTime() < deadline) {
            try {
                if (condition.getAsBoolean()) {
                    return;
                }
            } catch (RuntimeException e) {
                last = e; // a node is away: ask again
            }
            try {
                TimeUnit.MILLISECONDS.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + what, e);
            }
        }
        throw new IllegalStateException("waited " + timeout.toSeconds() + " s for " + what + "; " + diagnostics.get(), last);
    }
}
