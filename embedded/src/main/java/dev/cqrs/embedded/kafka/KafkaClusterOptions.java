package dev.cqrs.embedded.kafka;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * How to start a {@link KafkaCluster}.
 *
 * @param nodes         how many KRaft nodes (each a broker and a controller voter, in a JVM of its
 *                      own): 3 for the fault tests, 1 to 9 allowed. Topics get
 *                      {@code min(3, nodes)} replicas and {@code min.insync.replicas} one less
 *                      (2 of 3), so the cluster keeps accepting acks=all writes with one node down.
 * @param dataDirectory where the cluster keeps its files ({@code cluster.properties}, then
 *                      {@code node-<id>/} with {@code server.properties}, {@code kafka-logs/},
 *                      {@code broker.log}), kept between runs; empty for a temporary directory
 *                      deleted on {@link KafkaCluster#close()}
 * @param links         names of clients (e.g. {@code relay}, {@code projector}) that reach the
 *                      cluster through fault proxies: every node gets a listener of each name,
 *                      advertised at a {@link dev.cqrs.embedded.network.FaultProxy} in front of it,
 *                      so that those clients, which learn broker addresses from metadata, only
 *                      ever connect through their proxies ({@link KafkaCluster#bootstrapServers(String)})
 */
public record KafkaClusterOptions(int nodes, Optional<Path> dataDirectory, List<String> links) {

    private static final String LINK_NAME = "[a-z][a-z0-9_]{0,19}";

    public KafkaClusterOptions {
        Objects.requireNonNull(dataDirectory, "dataDirectory");
        links = List.copyOf(links);
        if (nodes < 1 || nodes > 9) {
            throw new IllegalArgumentException("a cluster has 1 to 9 nodes, asked for " + nodes);
        }
        for (String link : links) {
            if (!link.matches(LINK_NAME) || link.equals("plaintext") || link.equals("controller")) {
                throw new IllegalArgumentException("a link is named like a Kafka listener in lower case: " + LINK_NAME
                        + ", other than plaintext and controller; was '" + link + "'");
            }
        }
        if (links.stream().distinct().count() != links.size()) {
            throw new IllegalArgumentException("link names repeat: " + links);
        }
    }

    /** Three nodes, a temporary data directory, no links. */
    public static KafkaClusterOptions threeNodes() {
        return new KafkaClusterOptions(3, Optional.empty(), List.of());
    }

    /** The same options with {@code nodes} nodes. */
    public KafkaClusterOptions withNodes(int nodes) {
        return new KafkaClusterOptions(nodes, dataDirectory, links);
    }

    /** The same options with a data directory that is kept between runs. */
    public KafkaClusterOptions withDataDirectory(Path dataDirectory) {
        return new KafkaClusterOptions(nodes, Optional.of(dataDirectory), links);
    }

    /** The same options with these links added (see {@link #links()}). */
    public KafkaClusterOptions withLinks(String... names) {
        return new KafkaClusterOptions(nodes, dataDirectory, Stream.concat(links.stream(), Stream.of(names)).toList());
    }

    /** Replicas per partition: three, or as many nodes as there are when fewer. */
    public int replicationFactor() {
        return Math.min(3, nodes);
    }

    /** {@code min.insync.replicas}: one less than the replication factor, at least one. */
    public int minInsyncReplicas() {
        return Math.max(1, replicationFactor() - 1);
    }
}
