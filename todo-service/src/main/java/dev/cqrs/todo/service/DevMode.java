package dev.cqrs.todo.service;

import dev.cqrs.embedded.kafka.KafkaBroker;
import dev.cqrs.embedded.kafka.KafkaOptions;
import dev.cqrs.embedded.postgres.PostgresOptions;
import dev.cqrs.embedded.postgres.PostgresServer;
import dev.cqrs.embedded.registry.LocalSchemaRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Dev mode: what the environment does not name is started here, embedded, with its data kept in a
 * directory between runs ({@code CQRS_DEV_DATA_DIR}, default {@code .cqrs/dev} in the project):
 * PostgreSQL when {@code CQRS_DB_URL} is not set, a Kafka broker when {@code CQRS_KAFKA_BOOTSTRAP} is
 * not, and a local schema registry (on that Kafka) when {@code CQRS_SCHEMA_REGISTRY_URL} is not. The
 * HTTP server listens on 127.0.0.1 unless {@code CQRS_HTTP_HOST} says otherwise.
 */
final class DevMode {

    private static final Logger log = LoggerFactory.getLogger(DevMode.class);
    static final String DATA_DIR_VARIABLE = "CQRS_DEV_DATA_DIR";

    private DevMode() {
    }

    /** Where dev mode keeps its data. */
    static Path dataDirectory(Map<String, String> env) {
        String given = env.get(DATA_DIR_VARIABLE);
        if (given != null && !given.isBlank()) {
            return Path.of(given).toAbsolutePath();
        }
        return Path.of(System.getProperty("cqrs.home", ".")).toAbsolutePath().normalize().resolve(".cqrs").resolve("dev");
    }

    /**
     * Starts the embedded servers the environment lacks, pushing each onto {@code servers} to be closed
     * (in reverse) after the service, and returns the environment completed with their addresses.
     */
    static Map<String, String> start(Map<String, String> env, Path data, Deque<AutoCloseable> servers) throws java.io.IOException {
        Files.createDirectories(data);
        Map<String, String> completed = new HashMap<>(env);
        if (isBlank(env, ServiceConfig.Setting.DB_URL)) {
            PostgresServer postgres = PostgresServer.start(PostgresOptions.temporary().withDataDirectory(data.resolve("postgres")));
            servers.push(postgres::stop);
            completed.put(ServiceConfig.Setting.DB_URL.variable(), postgres.jdbcUrl("postgres"));
            completed.put(ServiceConfig.Setting.DB_USER.variable(), postgres.user());
            completed.put(ServiceConfig.Setting.DB_PASSWORD.variable(), postgres.password());
        }
        String bootstrap = env.get(ServiceConfig.Setting.KAFKA_BOOTSTRAP.variable());
        if (isBlank(env, ServiceConfig.Setting.KAFKA_BOOTSTRAP)) {
            KafkaBroker kafka = KafkaBroker.start(KafkaOptions.temporary().withDataDirectory(data.resolve("kafka")));
            servers.push(kafka);
            bootstrap = kafka.bootstrapServers();
            completed.put(ServiceConfig.Setting.KAFKA_BOOTSTRAP.variable(), bootstrap);
        }
        if (isBlank(env, ServiceConfig.Setting.SCHEMA_REGISTRY_URL)) {
            LocalSchemaRegistry registry = LocalSchemaRegistry.start(bootstrap, 0, "_schemas");
            servers.push(registry);
            completed.put(ServiceConfig.Setting.SCHEMA_REGISTRY_URL.variable(), registry.url());
        }
        completed.putIfAbsent(ServiceConfig.Setting.HTTP_HOST.variable(), "127.0.0.1");
        completed.putIfAbsent(ServiceConfig.PROJECTOR_PREFIX + "STATE_DIR", data.resolve("streams").toString());
        writeEndpoints(data, completed, servers);
        log.info("Dev mode: data in {}", data);
        return completed;
    }

    /** The file in which a running dev mode says where its servers are, for {@code ./cqrs audit}. */
    static Path endpointsFile(Path data) {
        return data.resolve("endpoints.env");
    }

    /**
     * Writes the servers' addresses (never a password: the embedded servers need none) for tools that
     * inspect a running dev mode; the file goes when dev mode stops.
     */
    private static void writeEndpoints(Path data, Map<String, String> env, Deque<AutoCloseable> servers) throws java.io.IOException {
        StringBuilder text = new StringBuilder("# written by ./cqrs dev while it runs; read by ./cqrs audit\n");
        for (ServiceConfig.Setting setting : java.util.List.of(ServiceConfig.Setting.DB_URL, ServiceConfig.Setting.DB_USER,
                ServiceConfig.Setting.KAFKA_BOOTSTRAP, ServiceConfig.Setting.SCHEMA_REGISTRY_URL)) {
            String value = env.get(setting.variable());
            if (value != null && !value.isBlank()) {
                text.append(setting.variable()).append('=').append(value).append('\n');
            }
        }
        for (String key : env.keySet()) {
            if (key.startsWith(ServiceConfig.RELAY_PREFIX) || key.equals(ServiceConfig.Setting.DB_SCHEMA.variable())
                    || key.equals(ServiceConfig.Setting.READ_SCHEMA.variable())) {
                text.append(key).append('=').append(env.get(key)).append('\n');
            }
        }
        Path file = endpointsFile(data);
        Files.writeString(file, text);
        servers.push(() -> Files.deleteIfExists(file));
    }

    private static boolean isBlank(Map<String, String> env, ServiceConfig.Setting setting) {
        String value = env.get(setting.variable());
        return value == null || value.isBlank();
    }
}
