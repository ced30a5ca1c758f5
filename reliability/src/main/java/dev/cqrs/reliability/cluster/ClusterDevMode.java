package dev.cqrs.reliability.cluster;

import dev.cqrs.embedded.kafka.KafkaCluster;
import dev.cqrs.embedded.kafka.KafkaClusterNode;
import dev.cqrs.embedded.kafka.KafkaClusterOptions;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * {@code ./cqrs dev --cluster}: dev mode on a three-node Kafka cluster. It starts the cluster (three
 * KRaft nodes, each a JVM of its own, data kept in {@code <data>/kafka-cluster}), then runs the to-do
 * service's dev mode as a child JVM with {@code CQRS_KAFKA_BOOTSTRAP} naming the three nodes and the
 * relay creating topics with three replicas; dev mode starts PostgreSQL and the schema registry as
 * usual. The data directory is {@code .cqrs/dev-cluster} unless {@code CQRS_DEV_DATA_DIR} says otherwise,
 * apart from single-broker dev mode's: the registry's schema ids live in Kafka, so a store may not
 * move between the two.
 *
 * <p>Ctrl-C stops the service first (it gets the terminal's SIGINT too, and a SIGTERM from here), then
 * the cluster, gracefully. Kill a node with {@code kill -9 <pid>} (the pids are printed) to watch the
 * service ride it out; {@code ./cqrs dev --cluster} again starts the cluster on its data.
 */
public final class ClusterDevMode {

    private static final String DATA_DIR_VARIABLE = "CQRS_DEV_DATA_DIR";
    private static final String KAFKA_VARIABLE = "CQRS_KAFKA_BOOTSTRAP";

    private ClusterDevMode() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> env = System.getenv();
        String external = env.get(KAFKA_VARIABLE);
        if (external != null && !external.isBlank()) {
            System.err.println("cqrs: dev --cluster starts a Kafka cluster of its own, but " + KAFKA_VARIABLE + " names one ("
                    + external + "): unset it, or run ./cqrs dev without --cluster");
            System.exit(2);
        }
        Path data = dataDirectory(env);
        KafkaCluster cluster = KafkaCluster.start(KafkaClusterOptions.threeNodes().withDataDirectory(data.resolve("kafka-cluster")));
        Map<String, String> childEnv = new HashMap<>(env);
        childEnv.put(DATA_DIR_VARIABLE, data.toString());
        childEnv.put(KAFKA_VARIABLE, cluster.bootstrapServers());
        childEnv.putIfAbsent("CQRS_RELAY_TOPIC_REPLICATION_FACTOR", Integer.toString(cluster.replicationFactor()));
        Process service;
        try {
            service = startService(childEnv, args);
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(service, cluster), "cqrs-dev-cluster-shutdown"));
        System.out.printf("%nKafka cluster for dev mode: %d KRaft nodes, replication factor %d, min.insync.replicas 2%n%s"
                        + "  data       %s%n  bootstrap  %s%n(kill -9 a node's pid to see the service ride it out)%n%n",
                cluster.nodes().size(), cluster.replicationFactor(), cluster.nodes().stream()
                        .map(node -> String.format("  node %d     %s, pid %s, log %s%n", node.id(), node.bootstrapServer(),
                                node.pid().isPresent() ? Long.toString(node.pid().getAsLong()) : "-", node.logFile()))
                        .collect(Collectors.joining()),
                cluster.dataDirectory(), cluster.bootstrapServers());
        System.exit(service.waitFor());
    }

    private static Path dataDirectory(Map<String, String> env) {
        String given = env.get(DATA_DIR_VARIABLE);
        if (given != null && !given.isBlank()) {
            return Path.of(given).toAbsolutePath();
        }
        return Path.of(System.getProperty("cqrs.home", ".")).toAbsolutePath().normalize().resolve(".cqrs").resolve("dev-cluster");
    }

    /** {@code TodoServiceMain dev} on this JVM's java, options and class path, sharing the terminal. */
    private static Process startService(Map<String, String> env, String[] args) throws java.io.IOException {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        for (String option : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            command.add(option.startsWith("-Dcqrs.command=") ? "-Dcqrs.command=./cqrs dev --cluster" : option);
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.cqrs.todo.service.TodoServiceMain", "dev"));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).inheritIO();
        builder.environment().clear();
        builder.environment().putAll(env);
        return builder.start();
    }

    /** The service first (it needs Kafka while it stops), then the cluster. */
    private static void stop(Process service, KafkaCluster cluster) {
        if (service.isAlive()) {
            service.destroy();
            try {
                if (!service.waitFor(60, TimeUnit.SECONDS)) {
                    service.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                service.destroyForcibly();
            }
        }
        cluster.close();
        for (KafkaClusterNode node : cluster.nodes()) {
            if (node.isAlive()) {
                System.err.println("cqrs: " + node + " is still running (pid " + node.pid().getAsLong() + ")");
            }
        }
    }
}
