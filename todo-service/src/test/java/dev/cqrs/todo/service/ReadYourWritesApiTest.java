package dev.cqrs.todo.service;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Read-your-writes at the API: what {@code extensions.readYourWrites} says, and that waiting for a position
 * cannot hold the server: a request's waits share one deadline (the read wait), and only so many requests
 * wait at once.
 */
class ReadYourWritesApiTest {

    /** Short, so that a request whose fields waited one after another would take minutes. */
    private static final Duration READ_WAIT = Duration.ofMillis(2_000);
    private static final int MAX_WAITING = 2;
    /** Far beyond any position the store hands out: never reached. */
    private static final String UNREACHABLE = "9000000000000000000";
    private static final String WAIT_FOR_NOTHING = "query($p: Position) { todo(id: \"absent\", minPosition: $p) { id } }";

    private static TestService todo;

    @BeforeAll
    static void start() {
        todo = TestService.start("todo_read_your_writes", Map.of(
                "CQRS_API_READ_WAIT_MS", Long.toString(READ_WAIT.toMillis()),
                "CQRS_API_MAX_WAITING_QUERIES", Integer.toString(MAX_WAITING)));
    }

    @AfterAll
    static void stop() {
        todo.close();
    }

    @Test
    void threeHundredAliasedWaitsShareOneDeadlineAndAnswerWithinTheReadWait() {
        StringBuilder query = new StringBuilder("{");
        for (int i = 0; i < 300; i++) {
            query.append(" t").append(i).append(": todo(id: \"absent-").append(i).append("\", minPosition: \"")
                    .append(UNREACHABLE).append("\") { id }");
        }
        query.append(" }");

        TestService.Response response;
        try {
            response = todo.graphql(query.toString(), Map.of(), Map.of(), READ_WAIT.plusSeconds(1));
        } catch (UncheckedIOException e) {
            throw new AssertionError("300 aliased waits were not answered within the read wait + 1 s (" + READ_WAIT.plusSeconds(1)
                    + "): each field waited on its own", e);
        }

        JsonNode wait = response.json().path("extensions").path("readYourWrites");
        assertThat(wait.path("reached").asBoolean(true)).as(response.body()).isFalse();
        assertThat(wait.path("outcome").asText()).isEqualTo("TIMED_OUT");
        assertThat(wait.path("minPosition").asText()).isEqualTo(UNREACHABLE);
        assertThat(wait.path("waitedMillis").asLong()).isLessThanOrEqualTo(READ_WAIT.toMillis() + 500);
    }

    @Test
    void anUnreachablePositionIsReportedAsNotReachedAndTimedOut() {
        JsonNode response = todo.graphql(WAIT_FOR_NOTHING, Map.of("p", UNREACHABLE));

        JsonNode wait = response.path("extensions").path("readYourWrites");
        assertThat(wait.path("reached").isBoolean()).as(response.toString()).isTrue();
        assertThat(wait.path("reached").asBoolean()).isFalse();
        assertThat(wait.path("outcome").asText()).isEqualTo("TIMED_OUT");
        assertThat(wait.path("message").asText()).contains("did not reach minPosition");
        assertThat(wait.path("waitedMillis").asLong()).isGreaterThanOrEqualTo(READ_WAIT.toMillis() - 100);
        assertThat(response.path("data").has("todo")).isTrue();
    }

    @Test
    void aPositionThatWasWrittenIsReachedAndSaysSo() {
        JsonNode created = todo.graphql("mutation { newTodo(text: \"read me back\") { id position } }", Map.of())
                .path("data").path("newTodo");

        JsonNode response = todo.graphql("query($id: ID!, $p: Position) { todo(id: $id, minPosition: $p) { id } }",
                Map.of("id", created.path("id").asText(), "p", created.path("position").asText()));

        JsonNode wait = response.path("extensions").path("readYourWrites");
        assertThat(wait.path("outcome").asText()).as(response.toString()).isEqualTo("REACHED");
        assertThat(wait.path("reached").asBoolean()).isTrue();
        assertThat(wait.has("message")).isFalse();
        assertThat(response.path("data").path("todo").path("id").asText()).isEqualTo(created.path("id").asText());
    }

    @Test
    void beyondTheMostWaitingQueriesAQueryAnswersWithoutWaitingAndSaysSo() throws Exception {
        int requests = MAX_WAITING + 4;
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService clients = Executors.newFixedThreadPool(requests);
        List<Future<JsonNode>> answers = new ArrayList<>();
        try {
            for (int i = 0; i < requests; i++) {
                answers.add(clients.submit(() -> {
                    go.await();
                    return todo.graphql(WAIT_FOR_NOTHING, Map.of("p", UNREACHABLE));
                }));
            }
            go.countDown();
            Map<String, Integer> outcomes = new TreeMap<>();
            List<JsonNode> refused = new ArrayList<>();
            for (Future<JsonNode> answer : answers) {
                JsonNode wait = answer.get(30, TimeUnit.SECONDS).path("extensions").path("readYourWrites");
                outcomes.merge(wait.path("outcome").asText(), 1, Integer::sum);
                if (wait.path("outcome").asText().equals("NOT_WAITED")) {
                    refused.add(wait);
                }
            }

            // All start together and each waits the whole read wait, so at most MAX_WAITING of them can wait.
            assertThat(outcomes.getOrDefault("TIMED_OUT", 0)).as("waited: %s", outcomes).isBetween(1, MAX_WAITING);
            assertThat(outcomes.getOrDefault("NOT_WAITED", 0)).as("refused: %s", outcomes).isGreaterThanOrEqualTo(requests - MAX_WAITING);
            assertThat(refused).allSatisfy(wait -> {
                assertThat(wait.path("reached").asBoolean(true)).isFalse();
                assertThat(wait.path("message").asText()).contains("without waiting");
                assertThat(wait.path("waitedMillis").asLong()).isLessThan(READ_WAIT.toMillis());
            });
            assertThat(todo.get("/metrics").body()).contains("cqrs_read_your_writes_not_waited_total");
        } finally {
            clients.shutdownNow();
        }
    }
}
