package dev.cqrs.embedded.registry;

import static dev.cqrs.embedded.registry.LocalSchemaRegistryTest.ints;
import static dev.cqrs.embedded.registry.LocalSchemaRegistryTest.subject;
import static dev.cqrs.embedded.registry.RegistryClient.schemaBody;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cqrs.embedded.kafka.KafkaBroker;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The registry's state lives in its Kafka topic, not in the registry. */
class LocalSchemaRegistryRestartTest {

    private static final String CREATED = """
            {"type":"record","name":"TodoCreated","fields":[{"name":"description","type":"string"}]}""";
    private static final String CREATED_V2 = """
            {"type":"record","name":"TodoCreated","fields":[{"name":"description","type":"string"},
             {"name":"reminder","type":["null","long"],"default":null}]}""";
    private static final String COMPLETED = """
            {"type":"record","name":"TodoCompleted","fields":[{"name":"at","type":"long"}]}""";
    private static final String UNCOMPLETED = """
            {"type":"record","name":"TodoUncompleted","fields":[{"name":"at","type":"long"}]}""";

    @Test
    void idsSubjectsVersionsAndLevelsSurviveARegistryRestart() {
        String bootstrap = KafkaBroker.shared().bootstrapServers();
        String topic = KafkaBroker.uniqueTopic("_schemas-restart");
        String created = subject("todo-created");
        String completed = subject("todo-completed");
        int createdV1;
        int createdV2;
        int completedId;
        try (LocalSchemaRegistry before = LocalSchemaRegistry.start(bootstrap, 0, topic)) {
            var client = new RegistryClient(before.url());
            createdV1 = client.register(created, CREATED).body().get("id").asInt();
            createdV2 = client.register(created, CREATED_V2).body().get("id").asInt();
            completedId = client.register(completed, COMPLETED).body().get("id").asInt();
            assertThat(client.put("/config", "{\"compatibility\":\"FULL\"}").status()).isEqualTo(200);
            assertThat(client.put("/config/" + completed, "{\"compatibility\":\"NONE\"}").status()).isEqualTo(200);
        }

        try (LocalSchemaRegistry after = LocalSchemaRegistry.start(bootstrap, 0, topic)) {
            var client = new RegistryClient(after.url());

            assertThat(client.get("/subjects").body()).extracting(JsonNode::asText).containsExactly(completed, created);
            assertThat(ints(client.get("/subjects/" + created + "/versions").body())).containsExactly(1, 2);
            assertThat(client.get("/subjects/" + created + "/versions/1").body().get("id").asInt()).isEqualTo(createdV1);
            assertThat(client.get("/subjects/" + created + "/versions/latest").body().get("id").asInt())
                    .isEqualTo(createdV2);
            assertThat(client.get("/schemas/ids/" + completedId).body().get("schema").asText())
                    .contains("TodoCompleted");
            assertThat(client.get("/config").body().get("compatibilityLevel").asText()).isEqualTo("FULL");
            assertThat(client.get("/config/" + completed).body().get("compatibilityLevel").asText()).isEqualTo("NONE");
            // Registering again answers from the replayed state; a new schema gets a new id.
            assertThat(client.register(created, CREATED).body().get("id").asInt()).isEqualTo(createdV1);
            int newId = client.register(completed, UNCOMPLETED).body().get("id").asInt();
            assertThat(newId).isNotIn(List.of(createdV1, createdV2, completedId)).isGreaterThan(completedId);
            assertThat(client.post("/subjects/" + completed, schemaBody(UNCOMPLETED)).body().get("version").asInt())
                    .isEqualTo(2);
        }
    }

    @Test
    void sharedUrlIsOneRegistryForTheWholeJvm() {
        String first = LocalSchemaRegistry.sharedUrl();
        String second = LocalSchemaRegistry.sharedUrl();

        assertThat(second).isEqualTo(first);
        var client = new RegistryClient(first);
        String subject = subject("shared");
        assertThat(client.register(subject, CREATED).status()).isEqualTo(200);
        assertThat(client.get("/subjects").body()).extracting(JsonNode::asText).contains(subject);
    }
}
