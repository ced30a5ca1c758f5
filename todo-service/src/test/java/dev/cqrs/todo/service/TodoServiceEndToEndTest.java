package dev.cqrs.todo.service;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The to-do service over HTTP, end to end: GraphQL in, events in PostgreSQL, relayed through Kafka,
 * projected into the read model, read back with read-your-writes; every role in one process, plus an
 * API-only process with tokens beside it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TodoServiceEndToEndTest {

    private static final String CREATE = """
            mutation Create($text: String!, $reminder: DateTimeUtc) {
              newTodo(text: $text, reminderTime: $reminder) {
                id description reminder completed version position
                command { eventsWritten replayed }
              }
            }""";
    private static final String LIST = """
            query List($first: Int, $after: Cursor, $min: Position) {
              allTodos(first: $first, after: $after, minPosition: $min) {
                totalCount
                edges { cursor node { id description reminder completed version position } }
                pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
              }
            }""";
    private static final String HISTORY = """
            query History($id: ID!, $min: Position, $before: Int, $max: Int) {
              todo(id: $id, minPosition: $min) {
                id version
                events(before: $before, maxCount: $max) {
                  sequence
                  event {
                    __typename
                    ... on Created { initialDescription }
                    ... on DescriptionUpdated { newDescription }
                    ... on ReminderUpdated { newReminder }
                    ... on Completed { isComplete }
                    ... on Uncompleted { isComplete }
                  }
                  metadata { eventId correlationId causationId initiatedBy recordedAt }
                }
              }
            }""";

    private TestService todo;
    private TestService tokens;

    @BeforeAll
    void start() {
        todo = TestService.start("todo_end_to_end");
    }

    @AfterAll
    void stop() {
        if (tokens != null) {
            tokens.close();
        }
        todo.close();
    }

    @Test
    void aCreatedTodoAppearsInAllTodosWhenAskedWithTheReturnedPosition() {
        JsonNode created = todo.graphql(CREATE, Map.of("text", "Buy milk")).path("data").path("newTodo");
        String id = created.path("id").asText();
        String position = created.path("position").asText();
        assertThat(UUID.fromString(id)).isNotNull();
        assertThat(created.path("position").isTextual()).as("positions are strings: 64-bit").isTrue();
        assertThat(Long.parseLong(position)).isPositive();
        assertThat(created.path("version").asInt()).isEqualTo(1);
        assertThat(created.path("command").path("eventsWritten").asInt()).isEqualTo(1);
        assertThat(created.path("command").path("replayed").asBoolean()).isFalse();

        JsonNode response = todo.graphql(LIST, Map.of("first", 100, "min", position));
        assertThat(response.path("errors").isMissingNode()).as(response.toString()).isTrue();
        assertThat(response.path("extensions").path("readYourWrites").path("reached").asBoolean()).isTrue();
        assertThat(response.path("extensions").path("readYourWrites").path("outcome").asText()).isEqualTo("REACHED");
        List<JsonNode> nodes = new ArrayList<>();
        response.path("data").path("allTodos").path("edges").forEach(edge -> nodes.add(edge.path("node")));
        assertThat(nodes).anySatisfy(node -> {
            assertThat(node.path("id").asText()).isEqualTo(id);
            assertThat(node.path("description").asText()).isEqualTo("Buy milk");
            assertThat(node.path("completed").asBoolean()).isFalse();
            assertThat(node.path("version").asInt()).isEqualTo(1);
            assertThat(node.path("position").asText()).isEqualTo(position);
        });
    }

    @Test
    void anUpdateWithAStaleExpectedVersionGetsConflictAndWritesNothing() {
        String id = create("Write the report");
        JsonNode first = mutate(id, "setDescription(text: \"Write the annual report\", expectedVersion: 1)")
                .path("data").path("todo").path("result");
        assertThat(first.path("version").asInt()).isEqualTo(2);
        long events = todo.eventCount();

        JsonNode stale = mutate(id, "setDescription(text: \"Write a short report\", expectedVersion: 1)");

        JsonNode error = stale.path("errors").get(0);
        assertThat(error.path("extensions").path("code").asText()).isEqualTo("CONFLICT");
        assertThat(error.path("extensions").path("expectedVersion").asInt()).isEqualTo(1);
        assertThat(error.path("extensions").path("actualVersion").asInt()).isEqualTo(2);
        assertThat(error.path("path").toString()).isEqualTo("[\"todo\",\"result\"]");
        assertThat(todo.eventCount()).isEqualTo(events);
        JsonNode read = history(id, first.path("position").asText());
        assertThat(read.path("version").asInt()).isEqualTo(2);
        assertThat(read.path("events").get(0).path("event").path("newDescription").asText()).isEqualTo("Write the annual report");
    }

    @Test
    void theHistoryListsTheEventsNewestFirstWithTheirMetadata() {
        String correlation = UUID.randomUUID().toString();
        TestService.Response created = todo.graphql(CREATE, Map.of("text", "Plan the trip"),
                Map.of("X-Correlation-Id", correlation));
        assertThat(created.raw().headers().firstValue("X-Correlation-Id")).hasValue(correlation);
        String id = created.json().path("data").path("newTodo").path("id").asText();
        mutate(id, "setDescription(text: \"Plan the trip to Lisbon\")");
        String position = mutate(id, "toggle").path("data").path("todo").path("result").path("position").asText();

        JsonNode history = history(id, position);

        assertThat(history.path("version").asInt()).isEqualTo(3);
        JsonNode events = history.path("events");
        assertThat(events).hasSize(3);
        assertThat(events.get(0).path("sequence").asInt()).isEqualTo(3);
        assertThat(events.get(0).path("event").path("__typename").asText()).isEqualTo("Completed");
        assertThat(events.get(0).path("event").path("isComplete").asBoolean()).isTrue();
        assertThat(events.get(1).path("event").path("newDescription").asText()).isEqualTo("Plan the trip to Lisbon");
        assertThat(events.get(2).path("event").path("__typename").asText()).isEqualTo("Created");
        assertThat(events.get(2).path("event").path("initialDescription").asText()).isEqualTo("Plan the trip");
        Set<String> eventIds = new LinkedHashSet<>();
        for (JsonNode event : events) {
            JsonNode metadata = event.path("metadata");
            eventIds.add(metadata.path("eventId").asText());
            assertThat(metadata.path("initiatedBy").asText()).isEqualTo("anonymous");
            assertThat(OffsetDateTime.parse(metadata.path("recordedAt").asText()).toInstant()).isBefore(Instant.now().plusSeconds(60));
            assertThat(metadata.path("causationId").isNull()).isTrue();
        }
        assertThat(eventIds).hasSize(3);
        assertThat(events.get(2).path("metadata").path("correlationId").asText()).isEqualTo(correlation);
        assertThat(events.get(0).path("metadata").path("correlationId").asText()).isNotEqualTo(correlation);

        JsonNode older = history(id, null, 3, 1).path("events");
        assertThat(older).hasSize(1);
        assertThat(older.get(0).path("sequence").asInt()).isEqualTo(2);
    }

    @Test
    void aCreateWithAReminderGivesTwoEventsAsInTheSeed() {
        Instant reminder = Instant.now().plus(3, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS);
        JsonNode created = todo.graphql(CREATE, Map.of("text", "Call the dentist", "reminder", reminder.toString()))
                .path("data").path("newTodo");
        assertThat(created.path("command").path("eventsWritten").asInt()).isEqualTo(2);
        assertThat(created.path("version").asInt()).isEqualTo(2);
        assertThat(created.path("reminder").asText()).isEqualTo(rfc3339(reminder));
        String id = created.path("id").asText();

        JsonNode events = history(id, created.path("position").asText()).path("events");

        assertThat(events).hasSize(2);
        assertThat(events.get(0).path("event").path("__typename").asText()).isEqualTo("ReminderUpdated");
        assertThat(events.get(0).path("event").path("newReminder").asText()).isEqualTo(rfc3339(reminder));
        assertThat(events.get(1).path("event").path("__typename").asText()).isEqualTo("Created");
        JsonNode row = todo.graphql("query($id: ID!, $min: Position) { todo(id: $id, minPosition: $min) { reminder version } }",
                Map.of("id", id, "min", created.path("position").asText())).path("data").path("todo");
        assertThat(row.path("reminder").asText()).isEqualTo(rfc3339(reminder));
        assertThat(row.path("version").asInt()).isEqualTo(2);
    }

    @Test
    void theCommandsOfTheSeedChangeTheReadModelAndACommandThatChangesNothingWritesNothing() {
        String id = create("Water the plants");
        Instant reminder = Instant.now().plus(1, ChronoUnit.HOURS).truncatedTo(ChronoUnit.MILLIS);
        mutate(id, "setReminder(time: \"" + reminder + "\")");
        mutate(id, "complete");
        JsonNode again = mutate(id, "complete").path("data").path("todo").path("result");
        assertThat(again.path("command").path("eventsWritten").asInt()).isZero();
        assertThat(again.path("position").isNull()).isTrue();
        assertThat(again.path("completed").asBoolean()).isTrue();
        assertThat(again.path("version").asInt()).isEqualTo(3);
        mutate(id, "reset");
        mutate(id, "toggle");
        String position = mutate(id, "cancelReminder").path("data").path("todo").path("result").path("position").asText();

        JsonNode row = todo.graphql("query($id: ID!, $min: Position) { todo(id: $id, minPosition: $min) { reminder completed version } }",
                Map.of("id", id, "min", position)).path("data").path("todo");

        assertThat(row.path("reminder").isNull()).isTrue();
        assertThat(row.path("completed").asBoolean()).isTrue();
        assertThat(row.path("version").asInt()).isEqualTo(6);
    }

    @Test
    void aRetriedCreateWithTheSameIdempotencyKeyCreatesNothingNew() {
        String key = "create-" + UUID.randomUUID();
        TestService.Response first = todo.graphql(CREATE, Map.of("text", "Pay the rent"), Map.of("Idempotency-Key", key));
        long events = todo.eventCount();
        TestService.Response retry = todo.graphql(CREATE, Map.of("text", "Pay the rent"), Map.of("Idempotency-Key", key));
        JsonNode argument = todo.graphql("mutation($key: String) { newTodo(text: \"Pay the rent\", idempotencyKey: $key)"
                + " { id command { replayed } } }", Map.of("key", key)).path("data").path("newTodo");

        JsonNode original = first.json().path("data").path("newTodo");
        JsonNode replay = retry.json().path("data").path("newTodo");
        assertThat(replay.path("id").asText()).isEqualTo(original.path("id").asText());
        assertThat(replay.path("command").path("replayed").asBoolean()).isTrue();
        assertThat(original.path("command").path("replayed").asBoolean()).isFalse();
        assertThat(replay.path("position").asText()).isEqualTo(original.path("position").asText());
        assertThat(argument.path("id").asText()).isEqualTo(original.path("id").asText());
        assertThat(argument.path("command").path("replayed").asBoolean()).isTrue();
        assertThat(todo.eventCount()).isEqualTo(events);
    }

    @Test
    void theIdempotencyKeyHeaderCoversOneCommandOfARequest() {
        String id = create("Two commands, one key");
        long events = todo.eventCount();

        JsonNode response = todo.graphql("mutation($id: ID!) { todo(id: $id) { a: toggle { version } b: toggle { version } } }",
                Map.of("id", id), Map.of("Idempotency-Key", "k-" + UUID.randomUUID())).json();

        assertThat(response.path("data").path("todo").path("a").path("version").asInt()).isEqualTo(2);
        assertThat(response.path("data").path("todo").path("b").isNull()).isTrue();
        assertThat(response.path("errors").get(0).path("extensions").path("code").asText()).isEqualTo("BAD_REQUEST");
        assertThat(todo.eventCount()).isEqualTo(events + 1);
    }

    @Test
    void pagesWalkTheListNewestFirstAndACursorStaysStableWhileToDosAreAdded() {
        List<String> mine = new ArrayList<>();
        String position = null;
        for (int i = 0; i < 5; i++) {
            JsonNode created = todo.graphql(CREATE, Map.of("text", "page item " + i)).path("data").path("newTodo");
            mine.addFirst(created.path("id").asText());
            position = created.path("position").asText();
        }
        JsonNode firstPage = todo.graphql(LIST, Map.of("first", 2, "min", position)).path("data").path("allTodos");
        long total = firstPage.path("totalCount").asLong();
        assertThat(total).isGreaterThanOrEqualTo(5);
        assertThat(firstPage.path("pageInfo").path("hasPreviousPage").asBoolean()).isFalse();

        String added = create("added while paging");
        List<String> seen = new ArrayList<>();
        firstPage.path("edges").forEach(e -> seen.add(e.path("node").path("id").asText()));
        String after = firstPage.path("pageInfo").path("endCursor").asText();
        boolean more = firstPage.path("pageInfo").path("hasNextPage").asBoolean();
        while (more) {
            Map<String, Object> variables = new HashMap<>(Map.of("first", 2, "after", after));
            JsonNode page = todo.graphql(LIST, variables).path("data").path("allTodos");
            assertThat(page.path("pageInfo").path("hasPreviousPage").asBoolean()).isTrue();
            page.path("edges").forEach(e -> seen.add(e.path("node").path("id").asText()));
            after = page.path("pageInfo").path("endCursor").asText();
            more = page.path("pageInfo").path("hasNextPage").asBoolean();
        }

        assertThat(seen).hasSize((int) total).doesNotHaveDuplicates().doesNotContain(added);
        assertThat(seen.subList(0, 5)).isEqualTo(mine);
    }

    @Test
    void aMissingToDoIsNullWithoutAnErrorForQueriesAndCommandsAsInTheSeed() {
        String missing = UUID.randomUUID().toString();
        long events = todo.eventCount();

        TestService.Response query = todo.graphql("query($id: ID!) { todo(id: $id) { id } }", Map.of("id", missing), Map.of());
        JsonNode command = mutate(missing, "toggle");
        JsonNode expected = mutate(missing, "complete(expectedVersion: 3)");

        assertThat(query.status()).isEqualTo(200);
        assertThat(query.errorCode()).isNull();
        assertThat(query.json().path("data").path("todo").isNull()).isTrue();
        for (JsonNode response : List.of(command, expected)) {
            assertThat(response.has("errors")).as(response.toString()).isFalse();
            assertThat(response.path("data").path("todo").path("result").isNull()).isTrue();
        }
        assertThat(todo.eventCount()).isEqualTo(events);
    }

    @Test
    void healthAndMetricsReportTheRolesTheirDependenciesAndTheCommands() {
        create("Counted by the metrics");

        TestService.Response live = todo.get("/health");
        TestService.Response ready = todo.get("/health/ready");
        TestService.Response metrics = todo.get("/metrics");

        assertThat(live.status()).isEqualTo(200);
        assertThat(live.json().path("roles").toString()).isEqualTo("[\"api\",\"projector\",\"relay\"]");
        assertThat(ready.status()).as(ready.body()).isEqualTo(200);
        JsonNode checks = ready.json().path("checks");
        for (String check : List.of("kafka", "schemaRegistry", "eventStore", "readModel", "relay", "projection:todo_list")) {
            assertThat(checks.path(check).path("status").asText()).as(check + " in " + checks).isEqualTo("UP");
        }
        assertThat(metrics.status()).isEqualTo(200);
        assertThat(metrics.body())
                .contains("cqrs_commands_total{command=\"CreateTodo\",outcome=\"accepted\"}")
                .contains("cqrs_relay_lag_events")
                .contains("cqrs_projection_lag_records{projection=\"todo_list\"}")
                .contains("jvm_memory_used_bytes")
                .contains("http_server_requests_seconds_count");
    }

    @Test
    void anApiOnlyProcessWithTokensRefusesMutationsWithoutOneAndRecordsTheSubject() {
        TestService api = withTokens();
        assertThat(api.get("/health").json().path("roles").toString()).isEqualTo("[\"api\"]");
        long events = todo.eventCount();

        TestService.Response anonymous = api.graphql(CREATE, Map.of("text", "No token"), Map.of());
        TestService.Response wrong = api.graphql(CREATE, Map.of("text", "Wrong token"),
                Map.of("Authorization", "Bearer not-a-valid-token-at-all"));
        TestService.Response query = api.graphql("{ apiVersion }", Map.of(), Map.of());
        assertThat(anonymous.errorCode()).isEqualTo("UNAUTHORIZED");
        assertThat(wrong.status()).isEqualTo(401);
        assertThat(wrong.errorCode()).isEqualTo("UNAUTHORIZED");
        assertThat(query.json().path("data").path("apiVersion").asText()).isEqualTo("1.0");
        assertThat(todo.eventCount()).isEqualTo(events);

        JsonNode created = api.graphql(CREATE, Map.of("text", "With a token"),
                Map.of("Authorization", "Bearer alice-secret-token-0001")).json().path("data").path("newTodo");
        String id = created.path("id").asText();
        JsonNode read = api.graphql(HISTORY.replace("$max: Int)", "$max: Int = 10)"),
                Map.of("id", id, "min", created.path("position").asText())).path("data").path("todo");
        assertThat(read.path("events").get(0).path("metadata").path("initiatedBy").asText()).isEqualTo("alice");
    }

    @Test
    void idempotencyKeysAreScopedByCallerTheSameKeyFromTwoCallersIsTwoCommandsFromOneItReplays() {
        TestService api = withTokens();
        String key = "shared-" + UUID.randomUUID();
        String create = "mutation($k: String) { newTodo(text: \"scoped\", idempotencyKey: $k) { id position command { replayed } } }";
        long events = todo.eventCount();

        JsonNode alice = api.graphql(create, Map.of("k", key), Map.of("Authorization", "Bearer alice-secret-token-0001"))
                .json().path("data").path("newTodo");
        JsonNode bob = api.graphql(create, Map.of("k", key), Map.of("Authorization", "Bearer bob-secret-token-00002"))
                .json().path("data").path("newTodo");
        JsonNode aliceAgain = api.graphql(create, Map.of("k", key), Map.of("Authorization", "Bearer alice-secret-token-0001"))
                .json().path("data").path("newTodo");

        assertThat(alice.path("id").asText()).as("alice's to-do").isNotBlank();
        assertThat(bob.path("id").asText()).as("bob's key is his own: a command of its own").isNotEqualTo(alice.path("id").asText());
        assertThat(bob.path("command").path("replayed").asBoolean()).isFalse();
        assertThat(aliceAgain.path("id").asText()).as("alice's retry replays hers").isEqualTo(alice.path("id").asText());
        assertThat(aliceAgain.path("command").path("replayed").asBoolean()).isTrue();
        assertThat(aliceAgain.path("position").asText()).isEqualTo(alice.path("position").asText());
        assertThat(todo.eventCount()).as("two creates, not three").isEqualTo(events + 2);
    }

    /** An API-only process beside the service, with two callers' tokens; started once, for the tests that need it. */
    private TestService withTokens() {
        if (tokens == null) {
            tokens = todo.sibling(Map.of("CQRS_ROLES", "api",
                    "CQRS_API_TOKENS", "alice:alice-secret-token-0001,bob:bob-secret-token-00002"));
        }
        return tokens;
    }

    // ---- helpers ----

    /** An instant as the API writes it: RFC 3339 in UTC with +00:00, as the seed's server wrote it. */
    private static String rfc3339(Instant instant) {
        return instant.toString().replace("Z", "+00:00");
    }

    private String create(String text) {
        JsonNode response = todo.graphql(CREATE, Map.of("text", text));
        assertThat(response.path("errors").isMissingNode()).as(response.toString()).isTrue();
        return response.path("data").path("newTodo").path("id").asText();
    }

    /** Runs {@code todo(id) { result: <command> { ... } }}; the response. */
    private JsonNode mutate(String id, String command) {
        return todo.graphql("mutation($id: ID!) { todo(id: $id) { result: " + command
                + " { version position description completed reminder command { eventsWritten } } } }", Map.of("id", id));
    }

    private JsonNode history(String id, String minPosition) {
        return history(id, minPosition, null, null);
    }

    private JsonNode history(String id, String minPosition, Integer before, Integer maxCount) {
        Map<String, Object> variables = new HashMap<>();
        variables.put("id", id);
        variables.put("min", minPosition);
        variables.put("before", before);
        variables.put("max", maxCount == null ? 100 : maxCount);
        JsonNode response = todo.graphql(HISTORY, variables);
        assertThat(response.path("errors").isMissingNode()).as(response.toString()).isTrue();
        return response.path("data").path("todo");
    }
}
