package dev.cqrs.embedded.containers;

import java.util.Optional;
import org.testcontainers.DockerClientFactory;

/**
 * The Testcontainers backend ({@code CQRS_TEST_SERVERS=containers}): PostgreSQL 17
 * ({@code PostgreSQLContainer}), Kafka in KRaft mode ({@code apache/kafka}, Testcontainers'
 * {@code KafkaContainer}) and Confluent's schema registry ({@code confluentinc/cp-schema-registry} as
 * a {@code GenericContainer}) on a network of their own, started once per JVM on first use and
 * stopped when it exits (Testcontainers' reaper removes them even after a kill).
 *
 * <p>Needs a Docker engine and the {@code org.testcontainers} jars on the class path (optional
 * dependencies of cqrs-embedded; cqrs-test brings them). {@link #unavailableReason()} says why this
 * backend cannot run here, so that a test can report itself skipped with that reason.
 *
 * <p>This class names no Testcontainers type outside {@code DockerCheck}, so that it loads without
 * them; {@code Containers} starts them. Only coordinates come out (URLs, user, password): {@code PostgresServer.external(...)} and
 * {@code KafkaBroker.external(...)} turn them into the handles that tests use.
 */
public final class ContainerServers {

    /** The images, as docker-compose.yml uses them. */
    public static final String POSTGRES_IMAGE = "postgres:17";
    public static final String KAFKA_IMAGE = "apache/kafka:4.4.0";
    public static final String SCHEMA_REGISTRY_IMAGE = "confluentinc/cp-schema-registry:8.0.0";


    private static ContainerServers shared; // guarded by ContainerServers.class
    /** The first answer, kept: Testcontainers does not retry, and its later answers lose the reason. */
    private static Optional<String> dockerUnavailable; // guarded by ContainerServers.class

    private final String postgresJdbcUrl;
    private final String postgresUser;
    private final String postgresPassword;
    private final String kafkaBootstrapServers;
    private final String schemaRegistryUrl;
    private final Runnable stop;

    ContainerServers(String postgresJdbcUrl, String postgresUser, String postgresPassword,
                     String kafkaBootstrapServers, String schemaRegistryUrl, Runnable stop) {
        this.postgresJdbcUrl = postgresJdbcUrl;
        this.postgresUser = postgresUser;
        this.postgresPassword = postgresPassword;
        this.kafkaBootstrapServers = kafkaBootstrapServers;
        this.schemaRegistryUrl = schemaRegistryUrl;
        this.stop = stop;
    }

    /**
     * Why the containers cannot start here, or empty when a Docker engine answers. The engine is
     * asked once per JVM.
     */
    public static Optional<String> unavailableReason() {
        try {
            Class.forName("org.testcontainers.DockerClientFactory", false, ContainerServers.class.getClassLoader());
            Class.forName("org.testcontainers.kafka.KafkaContainer", false, ContainerServers.class.getClassLoader());
            Class.forName("org.testcontainers.postgresql.PostgreSQLContainer", false,
                    ContainerServers.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            return Optional.of("Testcontainers is not on the class path (" + e.getMessage() + "): add"
                    + " dev.cqrs:cqrs-test, or org.testcontainers:testcontainers-postgresql and"
                    + " testcontainers-kafka, to the test dependencies");
        }
        synchronized (ContainerServers.class) {
            if (dockerUnavailable == null) {
                dockerUnavailable = DockerCheck.reason();
            }
            return dockerUnavailable;
        }
    }

    /**
     * The containers of this JVM, started on first use (the first start pulls the images: minutes;
     * then 10-30 s).
     *
     * @throws IllegalStateException when no Docker engine answers ({@link #unavailableReason()} says
     *                               why) or a container does not start
     */
    public static synchronized ContainerServers shared() {
        if (shared == null) {
            Optional<String> unavailable = unavailableReason();
            if (unavailable.isPresent()) {
                throw new IllegalStateException("CQRS_TEST_SERVERS=containers, but " + unavailable.get());
            }
            shared = Containers.start();
            Runtime.getRuntime().addShutdownHook(new Thread(shared.stop, "cqrs-containers-shutdown"));
        }
        return shared;
    }

    /** The JDBC URL of the container's database (user {@link #postgresUser()}, a superuser). */
    public String postgresJdbcUrl() {
        return postgresJdbcUrl;
    }

    public String postgresUser() {
        return postgresUser;
    }

    public String postgresPassword() {
        return postgresPassword;
    }

    /** Kafka's {@code bootstrap.servers} as seen from this JVM (a port that Docker maps). */
    public String kafkaBootstrapServers() {
        return kafkaBootstrapServers;
    }

    /** The schema registry's base URL as seen from this JVM. */
    public String schemaRegistryUrl() {
        return schemaRegistryUrl;
    }

    @Override
    public String toString() {
        return "containers " + POSTGRES_IMAGE + " at " + postgresJdbcUrl() + ", " + KAFKA_IMAGE + " at "
                + kafkaBootstrapServers() + ", " + SCHEMA_REGISTRY_IMAGE + " at " + schemaRegistryUrl();
    }

    /** Kept apart so that {@link #unavailableReason()} loads Testcontainers only once it is known to be there. */
    private static final class DockerCheck {

        static Optional<String> reason() {
            try {
                DockerClientFactory.instance().client();
                return Optional.empty();
            } catch (RuntimeException e) {
                return Optional.of("no Docker engine answers here (" + e.getMessage() + ")");
            }
        }
    }
}
