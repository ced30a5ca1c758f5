package dev.cqrs.codec.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Retries, give-ups and caching of the client, against a scripted endpoint (see {@link ScriptedEndpoint}). */
class SchemaRegistryClientRetryTest {

    private static final Schema CREATED = SchemaBuilder.record("Created").namespace("todo").fields()
            .requiredString("description").endRecord();

    private ScriptedEndpoint endpoint = ScriptedEndpoint.start();

    @AfterEach
    void stop() {
        endpoint.close();
    }

    private SchemaRegistryClient client(int maxAttempts) {
        return SchemaRegistryClient.builder(endpoint.url())
                .maxAttempts(maxAttempts)
                .initialBackoff(Duration.ofMillis(10))
                .maxBackoff(Duration.ofMillis(40))
                .build();
    }

    @Test
    void transientFailuresAreRetriedUntilTheRegistryAnswers() throws Exception {
        endpoint.then(503, "{\"error_code\":50003,\"message\":\"Error while forwarding the request to the leader\"}")
                .then(new ScriptedEndpoint.Answer(429, "{\"error_code\":42900,\"message\":\"slow down\"}", Map.of("Retry-After", "0")))
                .then(200, "{\"id\":7}");

        try (SchemaRegistryClient client = client(5)) {
            assertThat(client.register("todo.Created", CREATED)).isEqualTo(7);
        }

        assertThat(endpoint.requests).hasSize(3).allSatisfy(request -> {
            assertThat(request.method()).isEqualTo("POST");
            assertThat(request.rawPath()).isEqualTo("/subjects/todo.Created/versions");
            assertThat(request.contentType()).isEqualTo("application/vnd.schemaregistry.v1+json");
        });
        JsonNode body = new ObjectMapper().readTree(endpoint.requests.get(2).body());
        assertThat(body.get("schemaType").asText()).isEqualTo("AVRO");
        assertThat(new Schema.Parser().parse(body.get("schema").asText())).isEqualTo(CREATED);
    }

    @Test
    void aRegisteredSchemaIsServedFromTheCacheAfterwards() {
        endpoint.then(200, "{\"id\":7}").then(200, "{\"id\":8}");

        try (SchemaRegistryClient client = client(1)) {
            int first = client.register("todo.Created", CREATED);
            int again = client.register("todo.Created", new Schema.Parser().parse(CREATED.toString()));
            Schema byId = client.schemaById(7);
            int otherSubject = client.register("todo.Other", CREATED);

            assertThat(first).isEqualTo(7);
            assertThat(again).isEqualTo(7);
            assertThat(byId).isEqualTo(CREATED);
            assertThat(otherSubject).isEqualTo(8);
        }
        assertThat(endpoint.requests).extracting(ScriptedEndpoint.Request::rawPath)
                .containsExactly("/subjects/todo.Created/versions", "/subjects/todo.Other/versions");
    }

    @Test
    void aSchemaFetchedByIdIsFetchedOnce() {
        endpoint.then(200, new ObjectMapper().createObjectNode().put("schema", CREATED.toString()).toString());

        try (SchemaRegistryClient client = client(1)) {
            assertThat(client.schemaById(42)).isEqualTo(CREATED);
            assertThat(client.schemaById(42)).isEqualTo(CREATED);
        }
        assertThat(endpoint.requests).extracting(ScriptedEndpoint.Request::rawPath).containsExactly("/schemas/ids/42");
    }

    @Test
    void aRefusalIsNotRetriedAndSaysWhichSubjectAndWhatToDo() {
        endpoint.then(409, "{\"error_code\":409,\"message\":\"Schema being registered is incompatible with an earlier schema\"}");

        try (SchemaRegistryClient client = client(5)) {
            assertThatThrownBy(() -> client.register("todo.Created", CREATED))
                    .isInstanceOfSatisfying(SchemaRegistryException.class, e -> {
                        assertThat(e.httpStatus()).isEqualTo(409);
                        assertThat(e.errorCode()).isEqualTo(SchemaRegistryException.INCOMPATIBLE_SCHEMA);
                        assertThat(e.isRetriable()).isFalse();
                    })
                    .hasMessageContaining(endpoint.url())
                    .hasMessageContaining("subject 'todo.Created'")
                    .hasMessageContaining("Schema being registered is incompatible with an earlier schema")
                    .hasMessageContaining("nothing was registered")
                    .hasMessageContaining("Optional");
        }
        assertThat(endpoint.requests).hasSize(1);
    }

    @Test
    void afterTheLastAttemptTheLastTransientFailureIsReportedAsRetriable() {
        endpoint.then(503, "").then(502, "bad gateway").then(503, "{\"error_code\":50002,\"message\":\"operation timed out\"}");

        try (SchemaRegistryClient client = client(3)) {
            assertThatThrownBy(() -> client.schemaById(3))
                    .isInstanceOfSatisfying(SchemaRegistryException.class, e -> {
                        assertThat(e.httpStatus()).isEqualTo(503);
                        assertThat(e.errorCode()).isEqualTo(50002);
                        assertThat(e.isRetriable()).isTrue();
                    })
                    .hasMessageContaining("is unavailable")
                    .hasMessageContaining("fetching the schema with id 3")
                    .hasMessageContaining("after 3 attempts")
                    .hasMessageContaining("HTTP 503 operation timed out");
        }
        assertThat(endpoint.requests).hasSize(3);
    }

    @Test
    void aRegistryThatIsDownAtFirstIsReachedWhenItComesUp() throws Exception {
        int port;
        try (ServerSocket reserved = new ServerSocket(0)) {
            port = reserved.getLocalPort();
        }
        endpoint.close();
        SchemaRegistryClient client = SchemaRegistryClient.builder("http://127.0.0.1:" + port)
                .maxAttempts(30)
                .initialBackoff(Duration.ofMillis(50))
                .maxBackoff(Duration.ofMillis(100))
                .build();
        try (client) {
            CompletableFuture<Integer> id = CompletableFuture.supplyAsync(() -> client.register("todo.Created", CREATED));
            Thread.sleep(400);
            assertThat(id).isNotDone();

            endpoint = ScriptedEndpoint.startOn(port).then(200, "{\"id\":11}");

            assertThat(id.get(10, TimeUnit.SECONDS)).isEqualTo(11);
        }
        assertThat(endpoint.requests).hasSize(1);
    }

    @Test
    void anUnreachableRegistryIsReportedWithItsUrlAfterTheAttempts() throws Exception {
        int port;
        try (ServerSocket reserved = new ServerSocket(0)) {
            port = reserved.getLocalPort();
        }
        try (SchemaRegistryClient client = SchemaRegistryClient.builder("http://127.0.0.1:" + port)
                .maxAttempts(2).initialBackoff(Duration.ofMillis(10)).maxBackoff(Duration.ofMillis(10)).build()) {
            assertThatThrownBy(() -> client.register("todo.Created", CREATED))
                    .isInstanceOfSatisfying(SchemaRegistryException.class, e -> {
                        assertThat(e.httpStatus()).isEqualTo(SchemaRegistryException.NONE);
                        assertThat(e.isRetriable()).isTrue();
                    })
                    .hasMessageContaining("http://127.0.0.1:" + port + " is unavailable")
                    .hasMessageContaining("registering a schema under subject 'todo.Created'")
                    .hasMessageContaining("after 2 attempts")
                    .hasMessageContaining("ConnectException");
        }
    }

    @Test
    void subjectsAreEscapedAsOnePathSegment() {
        endpoint.then(200, "[1,2]");

        try (SchemaRegistryClient client = client(1)) {
            assertThat(client.versions("todo events/Créé")).containsExactly(1, 2);
        }
        assertThat(endpoint.requests.getFirst().rawPath()).isEqualTo("/subjects/todo%20events%2FCr%C3%A9%C3%A9/versions");
    }

    @Test
    void settingsAreValidatedWithClearMessages() {
        assertThatThrownBy(() -> SchemaRegistryClient.builder("localhost:8081"))
                .hasMessageContaining("must be an absolute http or https URL");
        assertThatThrownBy(() -> SchemaRegistryClient.builder("http://localhost:8081").maxAttempts(0))
                .hasMessageContaining("maxAttempts must be at least 1");
        assertThatThrownBy(() -> SchemaRegistryClient.builder("http://localhost:8081").requestTimeout(Duration.ZERO))
                .hasMessageContaining("requestTimeout must be positive");
        assertThatThrownBy(() -> SchemaRegistryClient.builder("http://localhost:8081")
                .initialBackoff(Duration.ofSeconds(3)).maxBackoff(Duration.ofSeconds(1)).build())
                .hasMessageContaining("shorter than initialBackoff");
    }
}
