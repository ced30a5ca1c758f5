package dev.cqrs.todo.service;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A corpus of bad requests (malformed JSON, wrong types, huge strings, odd Unicode, injection attempts,
 * deep nesting, batch abuse), sent over HTTP to the running service. Each one must get a clear error
 * with the expected code and status, no stack trace, nothing stored in the event store, and the service
 * must answer normally right after.
 */
class BadInputCorpusTest {

    private static TestService todo;
    private static String existing;

    /**
     * One bad request.
     *
     * @param status the expected HTTP status
     * @param code   the expected {@code extensions.code} of the first error
     */
    record Case(String name, byte[] body, String contentType, Map<String, String> headers, int status, String code) {
        @Override
        public String toString() {
            return name;
        }
    }

    @BeforeAll
    static void start() {
        todo = TestService.start("todo_bad_input");
        JsonNode created = todo.graphql("mutation { newTodo(text: \"the one to-do\") { id position } }", Map.of())
                .path("data").path("newTodo");
        existing = created.path("id").asText();
        JsonNode visible = todo.graphql("query($id: ID!, $p: Position) { todo(id: $id, minPosition: $p) { id } }",
                Map.of("id", existing, "p", created.path("position").asText()));
        assertThat(visible.path("data").path("todo").path("id").asText()).isEqualTo(existing);
    }

    @AfterAll
    static void stop() {
        todo.close();
    }

    static Stream<Case> corpus() {
        List<Case> cases = new ArrayList<>();
        // Malformed JSON and request shapes
        cases.add(raw("an empty body", "", 400));
        cases.add(raw("text that is not JSON", "mutation { newTodo(text: \"x\") { version } }", 400));
        cases.add(raw("truncated JSON", "{\"query\": \"mutation { newTodo(text: \\\"x\\\") { version } }\"", 400));
        cases.add(raw("a JSON string", "\"{ apiVersion }\"", 400));
        cases.add(raw("JSON null", "null", 400));
        cases.add(raw("an object without a query", "{\"variables\": {}}", 400));
        cases.add(raw("a query that is a number", "{\"query\": 42}", 400));
        cases.add(raw("variables that are a string", "{\"query\": \"{ apiVersion }\", \"variables\": \"x\"}", 400));
        cases.add(raw("two JSON values", "{\"query\": \"{ apiVersion }\"} {\"query\": \"{ apiVersion }\"}", 400));
        cases.add(raw("duplicate keys smuggling a mutation",
                "{\"query\": \"{ apiVersion }\", \"query\": \"mutation { newTodo(text: \\\"smuggled\\\") { version } }\"}", 400));
        cases.add(new Case("invalid UTF-8", concat("{\"query\": \"mutation { newTodo(text: \\\"", new byte[] {(byte) 0xC3, (byte) 0x28},
                "\\\") { version } }\"}"), "application/json", Map.of(), 400, "BAD_REQUEST"));
        cases.add(new Case("a text/plain body", json("mutation { newTodo(text: \"plain\") { version } }", "{}").body(),
                "text/plain", Map.of(), 400, "BAD_REQUEST"));
        cases.add(raw("JSON nested 10,000 levels deep in the variables",
                "{\"query\": \"{ apiVersion }\", \"variables\": {\"x\": " + "[".repeat(10_000) + "]".repeat(10_000) + "}}", 400));
        // Batch abuse
        cases.add(raw("a batch of two operations", "[{\"query\": \"{ apiVersion }\"}, {\"query\": \"{ apiVersion }\"}]", 400));
        StringBuilder batch = new StringBuilder("[");
        for (int i = 0; i < 500; i++) {
            batch.append(i == 0 ? "" : ",").append("{\"query\": \"mutation { newTodo(text: \\\"batch ").append(i).append("\\\") { version } }\"}");
        }
        cases.add(raw("a batch of 500 creates", batch + "]", 400));
        StringBuilder aliases = new StringBuilder("mutation {");
        for (int i = 0; i < 20; i++) {
            aliases.append(" a").append(i).append(": newTodo(text: \"alias ").append(i).append("\") { version }");
        }
        cases.add(json("20 aliased creates in one document", aliases + " }", "{}", 400, "BAD_REQUEST"));
        // Size
        cases.add(json("a 100,000-character description (over the body limit)",
                "mutation($t: String!) { newTodo(text: $t) { version } }", "{\"t\": \"" + "x".repeat(100_000) + "\"}", 413, "BAD_REQUEST"));
        cases.add(create("a 1,001-character description", "y".repeat(1_001), "VALIDATION"));
        cases.add(create("an empty description", "", "VALIDATION"));
        cases.add(create("a description of blanks", " \t\n ", "VALIDATION"));
        // Odd Unicode
        cases.add(create("a NUL character", "milk\u0000", "VALIDATION"));
        cases.add(json("a lone surrogate", "mutation($t: String!) { newTodo(text: $t) { version } }", "{\"t\": \"bread \\ud800\"}",
                200, "VALIDATION"));
        cases.add(create("an ANSI escape sequence", "\u001b[31mred\u001b[0m", "VALIDATION"));
        cases.add(json("an id with a newline", "mutation { todo(id: \"a\\nb\") { toggle { version } } }", "{}", 200, "BAD_REQUEST"));
        // Wrong types and values
        cases.add(json("a string for an Int", "{ allTodos(first: \"ten\") { totalCount } }", "{}", 400, "BAD_REQUEST"));
        cases.add(json("a string variable for an Int", "query($f: Int) { allTodos(first: $f) { totalCount } }",
                "{\"f\": \"ten\"}", 400, "BAD_REQUEST"));
        cases.add(json("an Int beyond 32 bits", "{ allTodos(first: 99999999999) { totalCount } }", "{}", 400, "BAD_REQUEST"));
        cases.add(json("a forged cursor", "{ allTodos(after: \"Z2FyYmFnZQ\") { totalCount } }", "{}", 400, "BAD_REQUEST"));
        cases.add(json("a negative position", "{ allTodos(minPosition: \"-5\") { totalCount } }", "{}", 400, "BAD_REQUEST"));
        cases.add(json("a position beyond 64 bits", "{ allTodos(minPosition: \"99999999999999999999\") { totalCount } }", "{}",
                400, "BAD_REQUEST"));
        cases.add(json("a null for a non-null variable", "mutation($t: String!) { newTodo(text: $t) { version } }",
                "{\"t\": null}", 400, "BAD_REQUEST"));
        cases.add(json("a reminder in the past", "mutation { newTodo(text: \"late\", reminderTime: \"2001-01-01T00:00:00Z\") { version } }",
                "{}", 200, "VALIDATION"));
        cases.add(json("a reminder that is not a date", "mutation { newTodo(text: \"soon\", reminderTime: \"tomorrow\") { version } }",
                "{}", 400, "BAD_REQUEST"));
        cases.add(json("a reminder without an offset", "mutation { newTodo(text: \"soon\", reminderTime: \"2031-01-01T10:00:00\") { version } }",
                "{}", 400, "BAD_REQUEST"));
        cases.add(json("a reminder in the year 10000", "mutation { newTodo(text: \"far\", reminderTime: \"+10000-01-01T00:00:00Z\") { version } }",
                "{}", 400, "BAD_REQUEST"));
        cases.add(json("a negative expectedVersion", "mutation { todo(id: \"" + "%s" + "\") { toggle(expectedVersion: -1) { version } } }",
                "{}", 200, "BAD_REQUEST"));
        cases.add(json("an id of 300 characters", "mutation { todo(id: \"" + "i".repeat(300) + "\") { toggle { version } } }", "{}",
                200, "BAD_REQUEST"));
        cases.add(json("an empty id", "mutation { todo(id: \"\") { toggle { version } } }", "{}", 200, "BAD_REQUEST"));
        cases.add(json("a negative maxCount", "{ todo(id: \"%s\") { events(maxCount: -1) { sequence } } }", "{}", 200, "BAD_REQUEST"));
        cases.add(json("a negative before", "{ todo(id: \"%s\") { events(before: -3) { sequence } } }", "{}", 200, "BAD_REQUEST"));
        // GraphQL documents
        cases.add(json("a syntax error", "{ allTodos(first: ) { totalCount } }", "{}", 400, "BAD_REQUEST"));
        cases.add(json("an unknown field", "{ dropAllTodos }", "{}", 400, "BAD_REQUEST"));
        cases.add(json("an operation name that is not there", "query A { apiVersion }", "{}", 400, "BAD_REQUEST",
                "\"operationName\": \"B\""));
        cases.add(json("two operations without a name", "query A { apiVersion } mutation B { newTodo(text: \"b\") { version } }",
                "{}", 400, "BAD_REQUEST"));
        cases.add(json("a subscription", "subscription { apiVersion }", "{}", 400, "BAD_REQUEST"));
        cases.add(json("a fragment cycle", "fragment A on Query { ...B } fragment B on Query { ...A } { ...A }", "{}", 400, "BAD_REQUEST"));
        cases.add(json("introspection nested 40 levels deep",
                "{ __schema { types { " + "fields { type { ".repeat(20) + "name" + " } }".repeat(20) + " } } }", "{}", 400, "BAD_REQUEST"));
        cases.add(json("a history query too complex", "{ allTodos(first: 100) { edges { node { events(maxCount: 1000) { sequence } } } } }",
                "{}", 400, "BAD_REQUEST"));
        cases.add(json("20,000 tokens", "{ " + "a ".repeat(20_000) + "}", "{}", 400, "BAD_REQUEST"));
        // Headers
        cases.add(new Case("a correlation id that is not a UUID", json("{ apiVersion }", "{}").body(), "application/json",
                Map.of("X-Correlation-Id", "'; DROP TABLE x; --"), 400, "BAD_REQUEST"));
        cases.add(new Case("an idempotency key with spaces", json("mutation { newTodo(text: \"k\") { version } }", "{}").body(),
                "application/json", Map.of("Idempotency-Key", "two words"), 400, "BAD_REQUEST"));
        cases.add(json("an idempotency key of 500 characters", "mutation { newTodo(text: \"k\", idempotencyKey: \"" + "k".repeat(500)
                + "\") { version } }", "{}", 200, "BAD_REQUEST"));
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corpus")
    void aBadRequestGetsAClearErrorStoresNothingAndTheServiceStaysUp(Case bad) {
        long events = todo.eventCount();
        byte[] body = new String(bad.body(), StandardCharsets.ISO_8859_1).replace("%s", existing).getBytes(StandardCharsets.ISO_8859_1);

        TestService.Response response = todo.post("/graphql", body, bad.contentType(), bad.headers());

        assertThat(response.status()).as(response.body()).isEqualTo(bad.status());
        JsonNode error = response.json().path("errors").get(0);
        assertThat(error.path("extensions").path("code").asText()).as(response.body()).isEqualTo(bad.code());
        assertThat(error.path("message").asText()).isNotBlank().doesNotContain("Exception").doesNotContain("\tat ");
        assertThat(response.body()).doesNotContain("java.").doesNotContain("org.postgresql");
        assertThat(todo.eventCount()).as("events stored").isEqualTo(events);
        JsonNode alive = todo.graphql("{ apiVersion }", Map.of());
        assertThat(alive.path("data").path("apiVersion").asText()).isEqualTo("1.0");
    }

    /** Injection attempts through ids: they name no to-do, so the seed's answer is null, without an error. */
    static Stream<Case> injections() {
        return Stream.of(
                json("SQL injection in a command's id",
                        "mutation { todo(id: \"x'); DROP TABLE cqrs.events; --\") { toggle { version } } }", "{}", 200, ""),
                json("SQL injection in a query's id", "{ todo(id: \"' OR '1'='1\") { id description } }", "{}", 200, ""),
                json("GraphQL injection through a variable", "query($id: ID!) { todo(id: $id) { id } }",
                        "{\"id\": \"x\\\") { id } } mutation { newTodo(text: \\\"injected\\\") { version\"}", 200, ""));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("injections")
    void anInjectionAttemptFindsNothingStoresNothingAndTheServiceStaysUp(Case injection) {
        long events = todo.eventCount();

        TestService.Response response = todo.post("/graphql", injection.body(), injection.contentType(), injection.headers());

        assertThat(response.status()).as(response.body()).isEqualTo(200);
        assertThat(response.json().has("errors")).as(response.body()).isFalse();
        JsonNode todoField = response.json().path("data").path("todo");
        JsonNode answer = todoField.has("toggle") ? todoField.get("toggle") : todoField;
        assertThat(answer.isNull()).as(response.body()).isTrue();
        assertThat(todo.eventCount()).as("events stored").isEqualTo(events);
        assertThat(todo.graphql("{ apiVersion }", Map.of()).path("data").path("apiVersion").asText()).isEqualTo("1.0");
    }

    /**
     * The control for the corpus: a good request sent the same way (the same client, content type and event count)
     * does store its event, so "nothing stored" above is a check that can fail, not a count that never moves.
     */
    @Test
    void aGoodRequestSentTheSameWayStoresItsEvent() {
        long events = todo.eventCount();
        Case good = create("a good description", "buy milk", "");

        TestService.Response response = todo.post("/graphql", good.body(), good.contentType(), good.headers());

        assertThat(response.status()).as(response.body()).isEqualTo(200);
        assertThat(response.json().has("errors")).as(response.body()).isFalse();
        assertThat(response.json().path("data").path("newTodo").path("version").asInt()).isEqualTo(1);
        assertThat(todo.eventCount()).as("events stored").isEqualTo(events + 1);
    }

    @Test
    void getAndUnknownPathsAnswerWithJsonErrorsToo() {
        TestService.Response get = todo.get("/graphql");
        TestService.Response unknown = todo.get("/graphql/../../etc/passwd");

        assertThat(get.status()).isEqualTo(405);
        assertThat(get.errorCode()).isEqualTo("BAD_REQUEST");
        assertThat(unknown.status()).isIn(400, 404);
        assertThat(todo.get("/health").status()).isEqualTo(200);
    }

    // ---- building cases ----

    private static Case raw(String name, String body, int status) {
        return new Case(name, body.getBytes(StandardCharsets.UTF_8), "application/json", Map.of(), status, "BAD_REQUEST");
    }

    private static Case json(String query, String variables) {
        return json("", query, variables, 0, "");
    }

    private static Case json(String name, String query, String variables, int status, String code, String... more) {
        String body = "{\"query\": " + TestService.JSON.valueToTree(query) + ", \"variables\": " + variables
                + (more.length > 0 ? ", " + String.join(", ", more) : "") + "}";
        return new Case(name, body.getBytes(StandardCharsets.UTF_8), "application/json", Map.of(), status, code);
    }

    private static Case create(String name, String description, String code) {
        return json(name, "mutation($t: String!) { newTodo(text: $t) { version } }",
                "{\"t\": " + TestService.JSON.valueToTree(description) + "}", 200, code);
    }

    private static byte[] concat(String before, byte[] middle, String after) {
        byte[] a = before.getBytes(StandardCharsets.UTF_8);
        byte[] c = after.getBytes(StandardCharsets.UTF_8);
        byte[] all = new byte[a.length + middle.length + c.length];
        System.arraycopy(a, 0, all, 0, a.length);
        System.arraycopy(middle, 0, all, a.length, middle.length);
        System.arraycopy(c, 0, all, a.length + middle.length, c.length);
        return all;
    }
}
