package dev.cqrs.todo.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cqrs.codec.avro.AvroEventCodec;
import dev.cqrs.codec.registry.SchemaRegistryClient;
import dev.cqrs.core.CommandMetadata;
import dev.cqrs.core.Precondition;
import dev.cqrs.core.codec.EncodedEvent;
import dev.cqrs.core.codec.EventCodec;
import dev.cqrs.embedded.kafka.KafkaBroker;
import dev.cqrs.embedded.kafka.KafkaBrokerProcess;
import dev.cqrs.embedded.registry.LocalSchemaRegistry;
import dev.cqrs.postgres.PostgresEventStore;
import dev.cqrs.todo.domain.TodoAggregate;
import dev.cqrs.todo.domain.TodoEvent;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.apache.avro.JsonProperties;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.junit.jupiter.api.io.TempDir;
import dev.cqrs.embedded.postgres.PostgresOptions;
import dev.cqrs.embedded.postgres.PostgresServer;
import dev.cqrs.embedded.postgres.TestDatabase;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What a client sees when a dependency is down, each on real servers that the test stops and starts again:
 * the database (UNAVAILABLE, never a stack trace, and service again once it is back); Kafka (the API keeps
 * taking commands: the events table is the outbox, and the relay publishes them when Kafka is back); the
 * schema registry (UNAVAILABLE where a writer schema must be fetched); and a schema change the registry
 * refuses as incompatible, which fails start-up.
 */
class OutageTest {

    private static final String CREATE = "mutation($t: String!) { newTodo(text: $t) { id version position } }";
    private static final String TOGGLE = "mutation($id: ID!) { todo(id: $id) { toggle { version completed } } }";

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
    @Test
    void whileKafkaIsDownTheApiStillTakesCommandsAndAWaitForTheirPositionTimesOut(@TempDir Path brokerData) {
        try (KafkaBrokerProcess kafka = KafkaBrokerProcess.start(brokerData);
             TestService api = TestService.start("todo_kafka_outage", Map.of("CQRS_ROLES", "api",
                     "CQRS_KAFKA_BOOTSTRAP", kafka.bootstrapServers(), "CQRS_API_READ_WAIT_MS", "1000"))) {
            assertThat(api.graphql(CREATE, Map.of("t", "before the outage")).path("data").path("newTodo").path("version").asInt())
                    .isEqualTo(1);

            kafka.kill();
            TestService.Response during = api.graphql(CREATE, Map.of("t", "during the outage"), Map.of());
            JsonNode created = during.json().path("data").path("newTodo");
            JsonNode waited = api.graphql("query($p: Position) { allTodos(minPosition: $p) { totalCount } }",
                    Map.of("p", created.path("position").asText()), Map.of()).json();
            TestService.Response ready = api.get("/health/ready");

            assertThat(during.json().has("errors")).as("a command needs PostgreSQL only: " + during.body()).isFalse();
            assertThat(created.path("version").asInt()).isEqualTo(1);
            assertThat(api.eventCount()).as("stored in the outbox, for the relay to publish later").isEqualTo(2);
            assertThat(waited.path("extensions").path("readYourWrites").path("outcome").asText()).as(waited.toString())
                    .isEqualTo("TIMED_OUT");
            assertThat(ready.status()).isEqualTo(503);
            assertThat(ready.json().path("checks").path("kafka").path("status").asText()).isEqualTo("DOWN");

            kafka.restart();
            JsonNode after = api.graphql(TOGGLE, Map.of("id", created.path("id").asText()));
            assertThat(after.path("data").path("todo").path("toggle").path("version").asInt()).as(after.toString()).isEqualTo(2);
        }
    }

    @Test
    void whileTheRegistryIsDownACommandThatMustFetchAWriterSchemaIsUnavailableAndWorksWhenItIsBack() {
        String topic = "t" + UUID.randomUUID().toString().substring(0, 8) + ".schemas";
        LocalSchemaRegistry registry = LocalSchemaRegistry.start(KafkaBroker.shared().bootstrapServers(), 0, topic);
        int port = URI.create(registry.url()).getPort();
        try (TestService api = TestService.start("todo_registry_outage", Map.of("CQRS_ROLES", "api",
                "CQRS_SCHEMA_REGISTRY_URL", registry.url()))) {
            // A to-do that a newer release created: its Created event has a schema (one more, optional field)
            // that this process did not register, so reading it needs the registry.
            String id = UUID.randomUUID().toString();
            appendCreatedByANewerRelease(api, registry.url(), id);
            registry.close();

            TestService.Response during = api.graphql(TOGGLE, Map.of("id", id), Map.of());

            assertThat(during.errorCode()).as(during.body()).isEqualTo("UNAVAILABLE");
            assertThat(during.json().path("errors").get(0).path("message").asText()).contains("reference");
            assertThat(during.body()).doesNotContain("Exception");
            assertThat(api.eventCount()).as("nothing written").isEqualTo(1);
            TestService.Response ready = api.get("/health/ready");
            assertThat(ready.json().path("checks").path("schemaRegistry").path("status").asText()).isEqualTo("DOWN");

            registry = LocalSchemaRegistry.start(KafkaBroker.shared().bootstrapServers(), port, topic);
            JsonNode after = api.graphql(TOGGLE, Map.of("id", id));
            assertThat(after.path("data").path("todo").path("toggle").path("version").asInt()).as(after.toString()).isEqualTo(2);
            assertThat(after.path("data").path("todo").path("toggle").path("completed").asBoolean()).isTrue();
        } finally {
            registry.close();
        }
    }

    @Test
    void anEventSchemaThatTheRegistryRefusesAsIncompatibleFailsStartUp() {
        String topic = "t" + UUID.randomUUID().toString().substring(0, 8) + ".schemas";
        try (LocalSchemaRegistry registry = LocalSchemaRegistry.start(KafkaBroker.shared().bootstrapServers(), 0, topic);
             SchemaRegistryClient client = SchemaRegistryClient.builder(registry.url()).build()) {
            // The registry holds a Created without a description: ours could not read the events written with it.
            Schema ours = AvroEventCodec.builder(TodoEvent.class, TodoAggregate.TYPE, client).build().schemaOf(TodoEvent.Created.class);
            Schema older = SchemaBuilder.record(ours.getName()).namespace(ours.getNamespace()).fields()
                    .requiredString("title").endRecord();
            client.register(ours.getFullName(), older);

            assertThatThrownBy(() -> TestService.start("todo_incompatible_schema", Map.of("CQRS_SCHEMA_REGISTRY_URL", registry.url())))
                    .hasMessageContaining("refused")
                    .hasMessageContaining(ours.getFullName());
        }
    }

    /** Appends a Created event encoded with a schema of a newer release: Created plus an optional field. */
    private static void appendCreatedByANewerRelease(TestService api, String registryUrl, String id) {
        try (SchemaRegistryClient client = SchemaRegistryClient.builder(registryUrl).build();
             PostgresEventStore store = PostgresEventStore.builder(api.db.jdbcUrl(), api.db.user(), api.db.password())
                     .schema("cqrs").build()) {
            Schema current = AvroEventCodec.builder(TodoEvent.class, TodoAggregate.TYPE, client).build().schemaOf(TodoEvent.Created.class);
            List<Schema.Field> fields = new ArrayList<>();
            current.getFields().forEach(f -> fields.add(new Schema.Field(f, f.schema())));
            fields.add(new Schema.Field("priority", Schema.createUnion(Schema.create(Schema.Type.NULL), Schema.create(Schema.Type.STRING)),
                    "added by a newer release", JsonProperties.NULL_VALUE));
            Schema newer = Schema.createRecord(current.getName(), current.getDoc(), current.getNamespace(), false, fields);
            int schemaId = client.register(current.getFullName(), newer);

            GenericRecord created = new GenericData.Record(newer);
            created.put("description", "from a newer release");
            created.put("priority", "high");
            ByteArrayOutputStream payload = new ByteArrayOutputStream();
            payload.write(0);
            payload.writeBytes(ByteBuffer.allocate(4).putInt(schemaId).array());
            BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(payload, null);
            new GenericDatumWriter<GenericRecord>(newer).write(created, encoder);
            encoder.flush();
            EncodedEvent encoded = new EncodedEvent("Created", AvroEventCodec.CONTENT_TYPE, payload.toByteArray());

            EventCodec<TodoEvent> asWritten = new EventCodec<>() {
                @Override
                public EncodedEvent encode(TodoEvent event) {
                    return encoded;
                }

                @Override
                public TodoEvent decode(EncodedEvent event) {
                    throw new UnsupportedOperationException("only appends");
                }
            };
            store.events(TodoAggregate.TYPE, asWritten).append(id, List.of(new TodoEvent.Created("from a newer release")),
                    Optional.of(Precondition.isNew()), CommandMetadata.create().withInitiatedBy("newer-release"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
