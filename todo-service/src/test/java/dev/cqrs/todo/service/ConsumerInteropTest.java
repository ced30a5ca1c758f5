package dev.cqrs.todo.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cqrs.codec.avro.AvroEventCodec;
import dev.cqrs.codec.registry.SchemaRegistryClient;
import dev.cqrs.core.codec.EncodedEvent;
import dev.cqrs.todo.domain.TodoEvent;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A consumer that nobody on this project wrote reads the to-do events: KafkaJS consumes the event topic
 * (read_committed) and Confluent's own JavaScript registry client ({@code @confluentinc/schemaregistry})
 * decodes each Avro payload by the schema id in it, through our registry. Every event of the store arrives
 * once, in order per to-do, decoded to what the Java codec reads.
 *
 * <p>The Node.js packages are installed by {@code npm ci} from the committed package-lock.json into
 * {@code target/} (about 30 s the first time; kept while the lock is unchanged). Without {@code node} or
 * {@code npm}, or when the install fails, the test is skipped with the reason, and fails when {@code CI=true}.
 */
class ConsumerInteropTest {

    private static final Path SOURCES = Path.of("src/test/node/kafkajs-consumer");
    private static final Path INSTALLED = Path.of("target/kafkajs-consumer");
    private static final int TODOS = 4;
    private static final int EVENTS_PER_TODO = 5;

    @Test
    @Timeout(value = 8, unit = TimeUnit.MINUTES)
    void kafkaJsWithConfluentsRegistryClientReadsEveryEventOnceInOrderPerTodoDecoded() throws Exception {
        installConsumer();
        try (TestService todo = TestService.start("consumer_interop")) {
            String topic = todo.prefix + ".events.todo";
            for (int i = 0; i < TODOS; i++) {
                String id = todo.graphql("mutation($text: String!, $at: DateTimeUtc) { newTodo(text: $text, reminderTime: $at)"
                                + " { id } }",
                        Map.of("text", "todo " + i, "at", Instant.now().plus(i + 1, ChronoUnit.DAYS).toString()))
                        .at("/data/newTodo/id").asText();
                assertThat(id).as("a to-do was created").isNotBlank();
                todo.graphql("mutation($id: ID!) { todo(id: $id) { setDescription(text: \"todo " + i + ", edited\") { version } } }",
                        Map.of("id", id));
                todo.graphql("mutation($id: ID!) { todo(id: $id) { complete { version } } }", Map.of("id", id));
                todo.graphql("mutation($id: ID!) { todo(id: $id) { toggle { version } } }", Map.of("id", id));
            }
            Map<String, StoredEvent> stored = storedEvents(todo);
            assertThat(stored).as("events in the store").hasSize(TODOS * EVENTS_PER_TODO);

            List<JsonNode> consumed = runConsumer(todo.env.get("CQRS_KAFKA_BOOTSTRAP"),
                    todo.env.get("CQRS_SCHEMA_REGISTRY_URL"), topic, stored.size());

            Set<String> seen = new HashSet<>();
            Map<String, Long> lastSequence = new HashMap<>();
            try (SchemaRegistryClient registry = SchemaRegistryClient.builder(todo.env.get("CQRS_SCHEMA_REGISTRY_URL")).build()) {
                AvroEventCodec<TodoEvent> codec = AvroEventCodec.builder(TodoEvent.class, "todo", registry).build();
                for (JsonNode record : consumed) {
                    String eventId = record.at("/headers/cqrs-event-id").asText();
                    assertThat(seen.add(eventId)).as("event %s arrived once: %s", eventId, record).isTrue();
                    StoredEvent event = stored.get(eventId);
                    assertThat(event).as("record %s is an event of the store", record).isNotNull();
                    assertThat(record.get("key").asText()).isEqualTo(event.aggregateId());
                    long sequence = record.at("/headers/cqrs-sequence").asLong();
                    assertThat(sequence).as("sequence of %s", record).isEqualTo(event.sequence())
                            .isEqualTo(lastSequence.getOrDefault(event.aggregateId(), 0L) + 1);
                    lastSequence.put(event.aggregateId(), sequence);
                    assertThat(record.at("/headers/cqrs-event-type").asText()).isEqualTo(event.eventType());
                    assertDecodedAlike(record.get("value"),
                            codec.decode(new EncodedEvent(event.eventType(), event.contentType(), event.payload())), record);
                }
            }
            assertThat(seen).as("every event of the store").containsExactlyInAnyOrderElementsOf(stored.keySet());
        }
    }

    /** What KafkaJS and Confluent's client decoded equals what our codec reads from the same bytes. */
    private static void assertDecodedAlike(JsonNode value, TodoEvent event, JsonNode record) {
        switch (event) {
            case TodoEvent.Created created -> assertThat(value.get("description").asText())
                    .as("%s", record).isEqualTo(created.description());
            case TodoEvent.DescriptionUpdated updated -> assertThat(value.get("description").asText())
                    .as("%s", record).isEqualTo(updated.description());
            case TodoEvent.ReminderUpdated reminder -> {
                JsonNode at = value.get("reminder");
                // avsc gives a union's branch as {"long": ...} or the bare value, depending on its options.
                long millis = at.isObject() ? at.elements().next().asLong() : at.asLong();
                assertThat(millis).as("%s", record).isEqualTo(reminder.reminder().orElseThrow().toEpochMilli());
            }
            case TodoEvent.Completed completed -> assertThat(value.isObject() && value.isEmpty()).as("%s", record).isTrue();
            case TodoEvent.Uncompleted uncompleted -> assertThat(value.isObject() && value.isEmpty()).as("%s", record).isTrue();
        }
    }

    private record StoredEvent(String aggregateId, long sequence, String eventType, String contentType, byte[] payload) {
    }

    private static Map<String, StoredEvent> storedEvents(TestService todo) throws Exception {
        Map<String, StoredEvent> events = new LinkedHashMap<>();
        try (Connection connection = todo.db.dataSource().getConnection();
             Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT event_id, aggregate_id, sequence, event_type, content_type,"
                     + " payload FROM cqrs.events ORDER BY global_position")) {
            while (rows.next()) {
                events.put(rows.getString(1), new StoredEvent(rows.getString(2), rows.getLong(3), rows.getString(4),
                        rows.getString(5), rows.getBytes(6)));
            }
        }
        return events;
    }

    private static List<JsonNode> runConsumer(String bootstrap, String registry, String topic, int expected)
            throws Exception {
        Path output = INSTALLED.resolve("consumed.jsonl");
        Path errors = INSTALLED.resolve("consumer.err");
        Process node = new ProcessBuilder("node", "consume.mjs", bootstrap, registry, topic, Integer.toString(expected))
                .directory(INSTALLED.toFile())
                .redirectOutput(output.toFile())
                .redirectError(errors.toFile())
                .start();
        if (!node.waitFor(2, TimeUnit.MINUTES)) {
            node.destroyForcibly();
            fail("the KafkaJS consumer did not finish within 2 min; its errors: " + Files.readString(errors));
        }
        assertThat(node.exitValue()).as("exit code of the KafkaJS consumer; its errors: %s", Files.readString(errors))
                .isZero();
        List<JsonNode> records = new ArrayList<>();
        for (String line : Files.readAllLines(output)) {
            if (!line.isBlank()) {
                records.add(TestService.JSON.readTree(line));
            }
        }
        return records;
    }

    /** {@code npm ci} into target/, unless the packages of the same lock are there already. */
    private static void installConsumer() throws Exception {
        requireTool("node", "--version");
        requireTool("npm", "--version");
        Files.createDirectories(INSTALLED);
        Path lock = SOURCES.resolve("package-lock.json");
        Path installedLock = INSTALLED.resolve("node_modules/.cqrs-installed-lock.json");
        for (String file : List.of("package.json", "package-lock.json", "consume.mjs")) {
            Files.copy(SOURCES.resolve(file), INSTALLED.resolve(file), StandardCopyOption.REPLACE_EXISTING);
        }
        if (Files.exists(installedLock) && Files.mismatch(lock, installedLock) == -1) {
            return;
        }
        Path log = INSTALLED.resolve("npm-ci.log");
        Process npm = new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts")
                .directory(INSTALLED.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        boolean done = npm.waitFor(5, TimeUnit.MINUTES);
        if (!done) {
            npm.destroyForcibly();
        }
        if (!done || npm.exitValue() != 0) {
            unavailable("npm ci of " + lock + " " + (done ? "failed" : "took more than 5 min") + ":\n" + Files.readString(log));
        }
        Files.copy(lock, installedLock, StandardCopyOption.REPLACE_EXISTING);
    }

    private static void requireTool(String... command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            if (process.waitFor(30, TimeUnit.SECONDS) && process.exitValue() == 0) {
                return;
            }
            process.destroyForcibly();
            unavailable("'" + String.join(" ", command) + "' does not answer");
        } catch (IOException e) {
            unavailable(command[0] + " is not installed (" + e.getMessage() + "); the interoperability test needs Node.js"
                    + " and npm");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Skips the test with {@code reason}, or fails it on CI, where Node.js must be there. */
    private static void unavailable(String reason) {
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            fail("CI=true and the consumer interoperability test cannot run: " + reason);
        }
        Assumptions.abort(reason);
    }
}
