package dev.cqrs.embedded.containers;

import dev.cqrs.embedded.kafka.KafkaBroker;
import dev.cqrs.embedded.postgres.PostgresServer;
import dev.cqrs.embedded.registry.LocalSchemaRegistry;

/** The contract on the servers that {@code CQRS_TEST_SERVERS} selects (embedded by default). */
class SelectedServersTest extends ServersContract {

    @Override
    PostgresServer postgres() {
        return PostgresServer.shared();
    }

    @Override
    KafkaBroker kafka() {
        return KafkaBroker.shared();
    }

    @Override
    String registryUrl() {
        return LocalSchemaRegistry.sharedUrl();
    }
}
