package dev.cqrs.embedded.containers;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.cqrs.embedded.kafka.KafkaBroker;
import dev.cqrs.embedded.postgres.PostgresServer;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;

/**
 * The same contract on Testcontainers' PostgreSQL, Kafka and Confluent registry, whatever
 * {@code CQRS_TEST_SERVERS} says. Without a Docker engine every test is skipped, with the reason.
 *
 * <p>The assumption is checked before each test, not once before all: Surefire counts a class
 * skipped in {@code @BeforeAll} as zero tests run, which would look like a silent pass.
 */
class ContainerServersTest extends ServersContract {

    private static ContainerServers containers;

    @BeforeEach
    void startContainers() {
        Optional<String> unavailable = ContainerServers.unavailableReason();
        assumeTrue(unavailable.isEmpty(), () -> "the Testcontainers backend cannot run: " + unavailable.orElseThrow());
        containers = ContainerServers.shared();
    }

    @Override
    PostgresServer postgres() {
        return PostgresServer.external(containers.postgresJdbcUrl(), containers.postgresUser(),
                containers.postgresPassword());
    }

    @Override
    KafkaBroker kafka() {
        return KafkaBroker.external(containers.kafkaBootstrapServers());
    }

    @Override
    String registryUrl() {
        return containers.schemaRegistryUrl();
    }
}
