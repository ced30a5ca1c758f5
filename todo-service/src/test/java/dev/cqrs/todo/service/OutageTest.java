package dev.cqrs.todo.service;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cqrs.embedded.postgres.PostgresOptions;
import dev.cqrs.embedded.postgres.PostgresServer;
import dev.cqrs.embedded.postgres.TestDatabase;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What a client sees when a dependency is down: UNAVAILABLE, never a stack trace, and service again once
 * it is back. An API-only process on a PostgreSQL server of its own that the test stops and restarts.
 */
class OutageTest {

    private static final String CREATE = "mutation($t: String!) { newTodo(text: $t) { version position } }";

    @Test
    void whileTheDatabaseIsDownCommandsAreUnavailableAndTheyWorkAgainWhenItIsBack() throws InterruptedException {
        PostgresServer postgres = PostgresServer.start(PostgresOptions.temporary());
        try (TestService api = TestService.onDatabase(new TestDatabase("postgres", postgres.jdbcUrl("postgres"), postgres.user(),
                postgres.password()), Map.of("CQRS_ROLES", "api", "CQRS_DB_TIMEOUT_MS", "1500"))) {
            TestService.Response noReadModel = api.graphql("{ allTodos { totalCount } }", Map.of(), Map.of());
            assertThat(noReadModel.errorCode()).as("no projector has made the read model yet").isEqualTo("UNAVAILABLE");
            assertThat(noReadModel.json().path("errors").get(0).path("message").asText()).contains("read model").contains("reference");
            assertThat(api.graphql(CREATE, Map.of("t", "before the outage")).path("data").path("newTodo").path("version").asInt())
                    .isEqualTo(1);

            postgres.stop();
            TestService.Response during = api.graphql(CREATE, Map.of("t", "during the outage"), Map.of());
            TestService.Response ready = api.get("/health/ready");

            assertThat(during.status()).isEqualTo(200);
            assertThat(during.errorCode()).isEqualTo("UNAVAILABLE");
            assertThat(during.body()).doesNotContain("Exception").doesNotContain("jdbc:postgresql");
            assertThat(ready.status()).isEqualTo(503);
            assertThat(ready.json().path("checks").path("eventStore").path("status").asText()).isEqualTo("DOWN");
            assertThat(api.get("/health").status()).as("alive, though not ready").isEqualTo(200);

            postgres.restart();
            // A client retries UNAVAILABLE; pooled connections that the restart broke fail one request each.
            JsonNode after = null;
            for (int attempt = 0; attempt < 40 && (after == null || after.has("errors")); attempt++) {
                after = api.graphql(CREATE, Map.of("t", "after the outage"));
                if (after.has("errors")) {
                    assertThat(after.path("errors").get(0).path("extensions").path("code").asText()).isEqualTo("UNAVAILABLE");
                    Thread.sleep(250);
                }
            }
            assertThat(after.path("data").path("newTodo").path("version").asInt()).as(after.toString()).isEqualTo(1);
            assertThat(api.eventCount()).isEqualTo(2);
            assertThat(api.get("/health/ready").json().path("checks").path("eventStore").path("status").asText()).isEqualTo("UP");
        } finally {
            postgres.stop();
        }
    }
}
