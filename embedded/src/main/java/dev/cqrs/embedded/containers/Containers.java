package dev.cqrs.embedded.containers;

import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.postgresql.PostgreSQLContainer;

/** Starts the three containers of {@link ContainerServers}. */
final class Containers {

    private static final Logger LOG = LoggerFactory.getLogger(Containers.class);
    private static final String KAFKA_ALIAS = "kafka";
    private static final int REGISTRY_PORT = 8081;

    private Containers() {
    }

    static ContainerServers start() {
        long started = System.nanoTime();
        Network network = Network.newNetwork();
        PostgreSQLContainer postgres = new PostgreSQLContainer(ContainerServers.POSTGRES_IMAGE)
                .withDatabaseName("cqrs")
                // Test classes with pools of their own each: more than the default 100 connections.
                .withCommand("postgres", "-c", "max_connections=300");
        KafkaContainer kafka = new KafkaContainer(ContainerServers.KAFKA_IMAGE)
                .withNetwork(network)
                .withNetworkAliases(KAFKA_ALIAS)
                // A second listener that the registry reaches on the containers' network.
                .withListener(KAFKA_ALIAS + ":19092")
                // One node: the internal topics make do with one replica (transactions need it).
                .withEnv("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "1")
                .withEnv("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "1")
                .withEnv("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "1")
                .withEnv("KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR", "1")
                .withEnv("KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR", "1")
                .withEnv("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0");
        GenericContainer<?> registry = new GenericContainer<>(ContainerServers.SCHEMA_REGISTRY_IMAGE)
                .withNetwork(network)
                .withExposedPorts(REGISTRY_PORT)
                .withEnv("SCHEMA_REGISTRY_HOST_NAME", "schema-registry")
                .withEnv("SCHEMA_REGISTRY_LISTENERS", "http://0.0.0.0:" + REGISTRY_PORT)
                .withEnv("SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS", "PLAINTEXT://" + KAFKA_ALIAS + ":19092")
                .dependsOn(kafka)
                .waitingFor(Wait.forHttp("/subjects").forStatusCode(200).withStartupTimeout(Duration.ofMinutes(2)));
        try {
            postgres.start();
            kafka.start();
            registry.start();
        } catch (RuntimeException e) {
            registry.stop();
            kafka.stop();
            postgres.stop();
            throw new IllegalStateException("the containers of CQRS_TEST_SERVERS=containers did not start: "
                    + e.getMessage(), e);
        }
        var servers = new ContainerServers(postgres.getJdbcUrl(), postgres.getUsername(), postgres.getPassword(),
                kafka.getBootstrapServers(), "http://" + registry.getHost() + ":" + registry.getMappedPort(REGISTRY_PORT),
                () -> {
                    registry.stop();
                    kafka.stop();
                    postgres.stop();
                    network.close();
                });
        LOG.info("{} ready in {} s", servers, String.format("%.1f", (System.nanoTime() - started) / 1e9));
        return servers;
    }

}
