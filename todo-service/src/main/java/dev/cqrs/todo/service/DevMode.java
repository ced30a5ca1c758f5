package dev.cqrs.todo.service;

import dev.cqrs.core.Redaction;
import dev.cqrs.embedded.kafka.KafkaBroker;
import dev.cqrs.embedded.kafka.KafkaOptions;
import dev.cqrs.embedded.postgres.PostgresOptions;
import dev.cqrs.embedded.postgres.PostgresServer;
import dev.cqrs.embedded.registry.LocalSchemaRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Dev mode: what the environment does not name is started here, embedded, with its data kept in a
 * directory between runs ({@code CQRS_DEV_DATA_DIR}, default {@code .cqrs/dev} in the project):
 * PostgreSQL when {@code CQRS_DB_URL} is not set, a Kafka broker when {@code CQRS_KAFKA_BOOTSTRAP} is
 * not, and a local schema registry (on that Kafka) when {@code CQRS_SCHEMA_REGISTRY_URL} is not. The
 * HTTP server listens on 127.0.0.1 unless {@code CQRS_HTTP_HOST} says otherwise.
 *
 * <p>The embedded servers listen where the ecosystem's clients look first, so that kcat, Confluent's
 * clients or KafkaJS attach without reading a log: Kafka on 9092, the registry on 8081, PostgreSQL on
 * 5432 ({@code CQRS_DEV_KAFKA_PORT}, {@code CQRS_DEV_REGISTRY_PORT}, {@code CQRS_DEV_DB_PORT} change
 * them). A port that is taken falls back to a free one, with a warning that says so, and the banner
 * shows where each server really is.
 */
final class DevMode {

    private static final Logger log = LoggerFactory.getLogger(DevMode.class);
    static final String DATA_DIR_VARIABLE = "CQRS_DEV_DATA_DIR";

    /** A fixed port of an embedded server, its variable, and what it is called in messages. */
    enum DevPort {
        DB("CQRS_DEV_DB_PORT", 5432, "PostgreSQL"),
        KAFKA("CQRS_DEV_KAFKA_PORT", 9092, "Kafka"),
        REGISTRY("CQRS_DEV_REGISTRY_PORT", 8081, "the schema registry");

        final String variable;
        final int preferred;
        final String server;

        DevPort(String variable, int preferred, String server) {
            this.variable = variable;
            this.preferred = preferred;
            this.server = server;
        }
    }

    /** The ports that were taken, so that the banner can say why a server is elsewhere. */
    private static final List<String> fallbacks = new ArrayList<>();

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
    static Map<String, String> start(Map<String, String> env, Path data, Deque<AutoCloseable> servers) throws IOException {
        Files.createDirectories(data);
        Map<String, String> completed = new HashMap<>(env);
        if (isBlank(env, ServiceConfig.Setting.DB_URL)) {
            PostgresServer postgres = PostgresServer.start(PostgresOptions.temporary().withDataDirectory(data.resolve("postgres"))
                    .withPort(port(env, DevPort.DB)));
            servers.push(postgres::stop);
            completed.put(ServiceConfig.Setting.DB_URL.variable(), postgres.jdbcUrl("postgres"));
            completed.put(ServiceConfig.Setting.DB_USER.variable(), postgres.user());
            completed.put(ServiceConfig.Setting.DB_PASSWORD.variable(), postgres.password());
        }
        String bootstrap = env.get(ServiceConfig.Setting.KAFKA_BOOTSTRAP.variable());
        if (isBlank(env, ServiceConfig.Setting.KAFKA_BOOTSTRAP)) {
            KafkaBroker kafka = KafkaBroker.start(KafkaOptions.temporary().withDataDirectory(data.resolve("kafka"))
                    .withPort(port(env, DevPort.KAFKA)));
            servers.push(kafka);
            bootstrap = kafka.bootstrapServers();
            completed.put(ServiceConfig.Setting.KAFKA_BOOTSTRAP.variable(), bootstrap);
        }
        if (isBlank(env, ServiceConfig.Setting.SCHEMA_REGISTRY_URL)) {
            LocalSchemaRegistry registry = LocalSchemaRegistry.start(bootstrap, port(env, DevPort.REGISTRY), "_schemas");
            servers.push(registry);
            completed.put(ServiceConfig.Setting.SCHEMA_REGISTRY_URL.variable(), registry.url());
        }
        completed.putIfAbsent(ServiceConfig.Setting.HTTP_HOST.variable(), "127.0.0.1");
        completed.putIfAbsent(ServiceConfig.PROJECTOR_PREFIX + "STATE_DIR", data.resolve("streams").toString());
        writeEndpoints(data, completed, servers);
        log.info("Dev mode: data in {}", data);
        return completed;
    }

    /**
     * The port that {@code server} is to listen on: its variable's value, else the preferred port if it is free
     * on loopback, else 0 (a free one), with a warning that names the taken port.
     */
    static int port(Map<String, String> env, DevPort server) {
        String given = env.get(server.variable);
        if (given != null && !given.isBlank()) {
            try {
                int port = Integer.parseInt(given.strip());
                if (port >= 0 && port <= 65_535) {
                    return port;
                }
            } catch (NumberFormatException e) {
                // refused below
            }
            throw new ServiceConfig.InvalidConfigException(server.variable + " must be a port number (0 for any free"
                    + " port), was '" + given + "'");
        }
        if (isFree(server.preferred)) {
            return server.preferred;
        }
        log.warn("Port {} is taken (another {} running?): dev mode's {} listens on a free port instead; set {} to"
                + " choose one", server.preferred, server.server, server.server, server.variable);
        fallbacks.add(server.server + ": port " + server.preferred + " was taken, see " + server.variable);
        return 0;
    }

    private static boolean isFree(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(false);
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * What dev mode prints once the service serves: every address, and a consumer command to paste.
     *
     * @param env the environment completed by {@link #start}
     */
    static String banner(Map<String, String> env, String serviceUrl, Path data) {
        String db = Redaction.url(env.get(ServiceConfig.Setting.DB_URL.variable()));
        String user = env.getOrDefault(ServiceConfig.Setting.DB_USER.variable(), "postgres");
        String bootstrap = env.get(ServiceConfig.Setting.KAFKA_BOOTSTRAP.variable()).replace("127.0.0.1", "localhost");
        String registry = env.get(ServiceConfig.Setting.SCHEMA_REGISTRY_URL.variable()).replace("127.0.0.1", "localhost");
        String readSchema = env.getOrDefault(ServiceConfig.Setting.READ_SCHEMA.variable(), "read");
        String topic = env.getOrDefault(ServiceConfig.RELAY_PREFIX + "TOPIC_PATTERN", "events.{aggregateType}")
                .replace("{aggregateType}", "todo");
        Matcher hostPort = Pattern.compile("jdbc:postgresql://([^:/]+):(\\d+)/([^?]*)")
                .matcher(db == null ? "" : db);
        String psql = hostPort.find()
                ? "psql -h " + hostPort.group(1) + " -p " + hostPort.group(2) + " -U " + user + " " + hostPort.group(3)
                : "psql \"" + db + "\"";
        StringBuilder text = new StringBuilder(String.format("""

                The to-do service runs in dev mode:
                  the page     %1$s/
                  GraphQL      %1$s/graphql   (GraphiQL: %1$s/graphiql)
                  health       %1$s/health/ready
                  metrics      %1$s/metrics
                  PostgreSQL   %2$s   (user %3$s, no password; read models in schema %4$s, e.g. %4$s.todos)
                               %5$s
                  Kafka        %6$s   (the to-do events: topic %7$s, key = to-do id; read them read_committed)
                  registry     %8$s   (Confluent's REST API; the payloads are Avro in Confluent's wire format)
                  data         %9$s
                """, serviceUrl, db, user, readSchema, psql, bootstrap, topic, registry, data));
        for (String fallback : fallbacks) {
            text.append("  note         ").append(fallback).append('\n');
        }
        text.append(String.format("""

                Consume the to-do events (README: "Consume the to-do events from your own service"):
                  kcat -b %1$s -C -t %2$s -o beginning -X isolation.level=read_committed -f '%%k %%h\\n'
                  kafka-avro-console-consumer --bootstrap-server %1$s --topic %2$s --from-beginning \\
                    --property schema.registry.url=%3$s --consumer-property isolation.level=read_committed \\
                    --property print.key=true --property print.headers=true
                Press Ctrl-C to stop it.

                """, bootstrap, topic, registry));
        return text.toString();
    }

    /** The file in which a running dev mode says where its servers are, for {@code ./cqrs audit}. */
    static Path endpointsFile(Path data) {
        return data.resolve("endpoints.env");
    }

    /**
     * Writes the servers' addresses (never a password: the embedded servers need none) for tools that
     * inspect a running dev mode; the file goes when dev mode stops.
     */
    private static void writeEndpoints(Path data, Map<String, String> env, Deque<AutoCloseable> servers) throws IOException {
        StringBuilder text = new StringBuilder("# written by ./cqrs dev while it runs; read by ./cqrs audit\n");
        for (ServiceConfig.Setting setting : List.of(ServiceConfig.Setting.DB_URL, ServiceConfig.Setting.DB_USER,
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
