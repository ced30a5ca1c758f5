package dev.cqrs.reliability.faults;

import dev.cqrs.embedded.kafka.KafkaBroker;
import dev.cqrs.embedded.postgres.PostgresServer;
import dev.cqrs.embedded.postgres.TestDatabase;
import dev.cqrs.embedded.registry.LocalSchemaRegistry;
import dev.cqrs.todo.service.ServiceConfig;
import dev.cqrs.todo.service.TodoService;
import java.net.URI;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/** The to-do service with every role, in this JVM, on the shared embedded servers, with names of its own. */
final class ServiceUnderTest implements AutoCloseable {

    final TestDatabase db;
    final Map<String, String> env;
    final TodoService service;
    final GraphQLClient client;

    ServiceUnderTest(String name, Map<String, String> extra) {
        this.db = PostgresServer.shared().createDatabase(name);
        String prefix = "r" + UUID.randomUUID().toString().substring(0, 8);
        Map<String, String> settings = new HashMap<>();
        settings.put("CQRS_DB_URL", db.jdbcUrl());
        settings.put("CQRS_DB_USER", db.user());
        settings.put("CQRS_DB_PASSWORD", db.password());
        settings.put("CQRS_KAFKA_BOOTSTRAP", KafkaBroker.shared().bootstrapServers());
        settings.put("CQRS_SCHEMA_REGISTRY_URL", LocalSchemaRegistry.sharedUrl());
        settings.put("CQRS_HTTP_HOST", "127.0.0.1");
        settings.put("CQRS_HTTP_PORT", "0");
        settings.put("CQRS_RELAY_NAME", prefix);
        settings.put("CQRS_RELAY_TOPIC_PATTERN", prefix + ".events.{aggregateType}");
        settings.put("CQRS_RELAY_CHECKPOINT_TOPIC", prefix + ".checkpoints");
        settings.put("CQRS_RELAY_TOPIC_PARTITIONS", "3");
        settings.put("CQRS_PROJECTOR_APPLICATION_PREFIX", prefix);
        settings.put("CQRS_PROJECTOR_STATE_DIR", System.getProperty("java.io.tmpdir") + "/cqrs-reliability-test/" + prefix);
        settings.putAll(extra);
        this.env = Map.copyOf(settings);
        this.service = TodoService.start(ServiceConfig.from(env));
        this.client = new GraphQLClient(service.url().resolve("/graphql"));
    }

    ServiceConfig config() {
        return ServiceConfig.from(env);
    }

    @Override
    public void close() {
        service.close();
    }
}
