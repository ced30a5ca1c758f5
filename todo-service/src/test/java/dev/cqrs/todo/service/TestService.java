package dev.cqrs.todo.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cqrs.embedded.kafka.KafkaBroker;
import dev.cqrs.embedded.postgres.PostgresServer;
import dev.cqrs.embedded.postgres.TestDatabase;
import dev.cqrs.embedded.registry.LocalSchemaRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * The to-do service started in this JVM on a free port, with every role, against the real embedded
 * PostgreSQL, Kafka broker and schema registry shared by the tests; its own database, topics, relay and
 * Kafka Streams applications, so test classes stay independent. Plus an HTTP client for it.
 */
final class TestService implements AutoCloseable {

    static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    final TestDatabase db;
    final String prefix = "t" + UUID.randomUUID().toString().substring(0, 8);
    final Map<String, String> env;
    final TodoService service;

    private TestService(TestDatabase db, Map<String, String> extra) {
        this.db = db;
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
        settings.put("CQRS_RELAY_POLL_INTERVAL_MS", "200");
        settings.put("CQRS_PROJECTOR_APPLICATION_PREFIX", prefix);
        // Generous on a loaded machine: a query waits this long for the read model to reach its minPosition.
        settings.put("CQRS_API_READ_WAIT_MS", "20000");
        settings.put("CQRS_PROJECTOR_STATE_DIR", System.getProperty("java.io.tmpdir") + "/cqrs-todo-test/" + prefix);
        settings.putAll(extra);
        this.env = Map.copyOf(settings);
        this.service = TodoService.start(ServiceConfig.from(env));
    }

    /** A service with every role, on a database of its own. */
    static TestService start(String name) {
        return start(name, Map.of());
    }

    static TestService start(String name, Map<String, String> extra) {
        return new TestService(PostgresServer.shared().createDatabase(name), extra);
    }

    /** A service on a database of the caller's (e.g. on a server that the test stops). */
    static TestService onDatabase(TestDatabase db, Map<String, String> extra) {
        return new TestService(db, extra);
    }

    /** Another process's worth of service on the same database, topics and groups, with other settings. */
    TestService sibling(Map<String, String> overrides) {
        return new TestService(db, overrides, env);
    }

    private TestService(TestDatabase db, Map<String, String> overrides, Map<String, String> base) {
        this.db = db;
        Map<String, String> settings = new HashMap<>(base);
        settings.putAll(overrides);
        this.env = Map.copyOf(settings);
        this.service = TodoService.start(ServiceConfig.from(env));
    }

    URI url(String path) {
        return URI.create("http://127.0.0.1:" + service.port() + path);
    }

    /** Events in the event store, of every stream: what "nothing was stored" is checked against. */
    long eventCount() {
        try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM cqrs.events")) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The global position of the latest event in the event store (0 when there is none). */
    long headPosition() {
        try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT coalesce(max(global_position), 0) FROM cqrs.events")) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A GraphQL request; the response's JSON body. */
    JsonNode graphql(String query, Map<String, ?> variables) {
        return graphql(query, variables, Map.of()).json();
    }

    Response graphql(String query, Map<String, ?> variables, Map<String, String> headers) {
        return graphql(query, variables, headers, DEFAULT_TIMEOUT);
    }

    /** A GraphQL request that must be answered within {@code timeout} (an {@link UncheckedIOException} if not). */
    Response graphql(String query, Map<String, ?> variables, Map<String, String> headers, Duration timeout) {
        ObjectNode body = JSON.createObjectNode();
        body.put("query", query);
        body.set("variables", JSON.valueToTree(variables));
        return post("/graphql", body.toString().getBytes(StandardCharsets.UTF_8), "application/json", headers, timeout);
    }

    Response post(String path, byte[] body, String contentType, Map<String, String> headers) {
        return post(path, body, contentType, headers, DEFAULT_TIMEOUT);
    }

    private Response post(String path, byte[] body, String contentType, Map<String, String> headers, Duration timeout) {
        HttpRequest.Builder request = HttpRequest.newBuilder(url(path)).timeout(timeout)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        headers.forEach(request::header);
        return send(request.build());
    }

    Response get(String path) {
        return send(HttpRequest.newBuilder(url(path)).timeout(DEFAULT_TIMEOUT).GET().build());
    }

    private static Response send(HttpRequest request) {
        try {
            HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
            return new Response(response.statusCode(), response.body(), response);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** An HTTP response. */
    record Response(int status, String body, HttpResponse<String> raw) {
        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON (HTTP " + status + "): " + body, e);
            }
        }

        /** The code of the first error, or null. */
        String errorCode() {
            JsonNode errors = json().path("errors");
            return errors.isArray() && !errors.isEmpty() ? errors.get(0).path("extensions").path("code").asText(null) : null;
        }
    }

    @Override
    public void close() {
        service.close();
    }
}
