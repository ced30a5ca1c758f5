package dev.cqrs.embedded.registry;

import static dev.cqrs.embedded.registry.RegistryClient.encode;
import static dev.cqrs.embedded.registry.RegistryClient.schemaBody;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cqrs.embedded.kafka.KafkaBroker;
import dev.cqrs.embedded.registry.RegistryClient.Response;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class LocalSchemaRegistryTest {

    private static final String TODO_V1 = """
            {"type":"record","name":"TodoCreated","namespace":"dev.cqrs.todo","fields":[
              {"name":"description","type":"string"}]}""";
    /** TODO_V1 plus a field with a default: BACKWARD, FORWARD and FULL compatible. */
    private static final String TODO_V2_WITH_DEFAULT = """
            {"type":"record","name":"TodoCreated","namespace":"dev.cqrs.todo","fields":[
              {"name":"description","type":"string"},
              {"name":"reminder","type":["null","long"],"default":null}]}""";
    /** TODO_V1 plus a field without a default: FORWARD compatible only. */
    private static final String TODO_V2_WITHOUT_DEFAULT = """
            {"type":"record","name":"TodoCreated","namespace":"dev.cqrs.todo","fields":[
              {"name":"description","type":"string"},
              {"name":"priority","type":"int"}]}""";
    private static final String EMPTY_TODO = """
            {"type":"record","name":"TodoCreated","namespace":"dev.cqrs.todo","fields":[]}""";

    private static LocalSchemaRegistry registry;
    private static RegistryClient client;

    @BeforeAll
    static void startRegistry() {
        registry = LocalSchemaRegistry.start(KafkaBroker.shared().bootstrapServers(), 0,
                KafkaBroker.uniqueTopic("_schemas-test"));
        client = new RegistryClient(registry.url());
    }

    @AfterAll
    static void closeRegistry() {
        registry.close();
    }

    @Test
    void registerGivesAnIdAndTheSameSchemaAgainGivesTheSameId() {
        String subject = subject("todo-created-value");

        Response first = client.register(subject, TODO_V1);
        Response again = client.register(subject, TODO_V1.replace("\n", "").replace(" ", ""));
        Response reordered = client.register(subject, """
                {"namespace":"dev.cqrs.todo","fields":[{"type":"string","name":"description"}],
                 "name":"TodoCreated","type":"record"}""");

        assertThat(first.status()).isEqualTo(200);
        assertThat(first.contentType()).isEqualTo("application/vnd.schemaregistry.v1+json");
        assertThat(first.body().size()).isEqualTo(1);
        int id = first.body().get("id").asInt();
        assertThat(id).isPositive();
        assertThat(again.body().get("id").asInt()).isEqualTo(id);
        assertThat(reordered.body().get("id").asInt()).isEqualTo(id);
        assertThat(ints(client.get("/subjects/" + subject + "/versions").body())).containsExactly(1);
        assertThat(client.get("/subjects").body()).extracting(JsonNode::asText).contains(subject);
    }

    @Test
    void sameSchemaUnderAnotherSubjectReusesTheGlobalId() {
        int underFirst = client.register(subject("first"), TODO_V1).body().get("id").asInt();

        int underSecond = client.register(subject("second"), TODO_V1).body().get("id").asInt();
        int other = client.register(subject("third"), TODO_V2_WITH_DEFAULT).body().get("id").asInt();

        assertThat(underSecond).isEqualTo(underFirst);
        assertThat(other).isNotEqualTo(underFirst);
        JsonNode byId = client.get("/schemas/ids/" + underFirst).body();
        assertThat(byId.fieldNames()).toIterable().containsExactly("schema");
        assertThat(byId.get("schema").asText()).contains("\"TodoCreated\"").doesNotContain("reminder");
    }

    @Test
    void compatibleChangeUnderBackwardBecomesTheNextVersion() {
        String subject = subject("backward-ok");
        int v1 = client.register(subject, TODO_V1).body().get("id").asInt();

        Response v2 = client.register(subject, TODO_V2_WITH_DEFAULT);

        assertThat(v2.status()).isEqualTo(200);
        int v2Id = v2.body().get("id").asInt();
        assertThat(v2Id).isNotEqualTo(v1);
        assertThat(ints(client.get("/subjects/" + subject + "/versions").body())).containsExactly(1, 2);
        JsonNode latest = client.get("/subjects/" + subject + "/versions/latest").body();
        assertThat(latest.get("subject").asText()).isEqualTo(subject);
        assertThat(latest.get("version").asInt()).isEqualTo(2);
        assertThat(latest.get("id").asInt()).isEqualTo(v2Id);
        assertThat(latest.get("schema").asText()).contains("reminder");
        assertThat(client.get("/subjects/" + subject + "/versions/1").body().get("id").asInt()).isEqualTo(v1);
        assertThat(client.get("/subjects/" + subject + "/versions/2/schema").body().get("name").asText())
                .isEqualTo("TodoCreated");
    }

    @Test
    void incompatibleChangeUnderBackwardGets409AndIsNotStored() {
        String subject = subject("backward-refused");
        client.register(subject, TODO_V1);

        Response refused = client.register(subject, TODO_V2_WITHOUT_DEFAULT);

        assertThat(refused.status()).isEqualTo(409);
        assertThat(refused.errorCode()).isEqualTo(409);
        assertThat(refused.body().get("message").asText()).contains(subject).contains("priority");
        assertThat(ints(client.get("/subjects/" + subject + "/versions").body())).containsExactly(1);
        assertThat(client.post("/subjects/" + subject, schemaBody(TODO_V2_WITHOUT_DEFAULT)).errorCode())
                .isEqualTo(40403);
    }

    @Test
    void compatibilityCheckAnswersWithoutRegistering() {
        String subject = subject("check");
        client.register(subject, TODO_V1);

        Response compatible = client.post("/compatibility/subjects/" + subject + "/versions/latest",
                schemaBody(TODO_V2_WITH_DEFAULT));
        Response incompatible = client.post("/compatibility/subjects/" + subject + "/versions/latest?verbose=true",
                schemaBody(TODO_V2_WITHOUT_DEFAULT));
        Response againstVersion = client.post("/compatibility/subjects/" + subject + "/versions/1",
                schemaBody(TODO_V2_WITH_DEFAULT));

        assertThat(compatible.body().get("is_compatible").asBoolean()).isTrue();
        assertThat(compatible.body().has("messages")).isFalse();
        assertThat(incompatible.body().get("is_compatible").asBoolean()).isFalse();
        assertThat(incompatible.body().get("messages")).isNotEmpty();
        assertThat(incompatible.body().get("messages").get(0).asText()).contains("READER_FIELD_MISSING_DEFAULT_VALUE");
        assertThat(againstVersion.body().get("is_compatible").asBoolean()).isTrue();
        assertThat(ints(client.get("/subjects/" + subject + "/versions").body())).containsExactly(1);
    }

    @Test
    void forwardAcceptsANewFieldWithoutDefaultAndRefusesRemovingOne() {
        String subject = subject("forward");
        setLevel(subject, "FORWARD");
        client.register(subject, TODO_V1);

        Response removed = client.register(subject, EMPTY_TODO);
        Response added = client.register(subject, TODO_V2_WITHOUT_DEFAULT);

        assertThat(removed.errorCode()).isEqualTo(409);
        assertThat(added.status()).isEqualTo(200);
        assertThat(ints(client.get("/subjects/" + subject + "/versions").body())).containsExactly(1, 2);
    }

    @Test
    void fullAcceptsOnlyChangesBothWays() {
        String subject = subject("full");
        setLevel(subject, "FULL");
        client.register(subject, TODO_V1);

        Response withoutDefault = client.register(subject, TODO_V2_WITHOUT_DEFAULT);
        Response removed = client.register(subject, EMPTY_TODO);
        Response withDefault = client.register(subject, TODO_V2_WITH_DEFAULT);

        assertThat(withoutDefault.errorCode()).isEqualTo(409);
        assertThat(removed.errorCode()).isEqualTo(409);
        assertThat(withDefault.status()).isEqualTo(200);
    }

    @Test
    void noneAcceptsAnyChange() {
        String subject = subject("none");
        setLevel(subject, "NONE");
        client.register(subject, TODO_V1);

        Response changedType = client.register(subject, TODO_V1.replace("\"string\"", "\"int\""));

        assertThat(changedType.status()).isEqualTo(200);
        assertThat(ints(client.get("/subjects/" + subject + "/versions").body())).containsExactly(1, 2);
    }

    @Test
    void transitiveLevelsCheckEveryEarlierVersion() {
        // v1 {description: string}, v2 {} (dropped), v3 {description: int, default 0}: v3 reads v2's
        // data, but not v1's, whose description is a string.
        String v3 = """
                {"type":"record","name":"TodoCreated","namespace":"dev.cqrs.todo","fields":[
                  {"name":"description","type":"int","default":0}]}""";
        String latestOnly = subject("backward");
        String transitive = subject("backward-transitive");
        setLevel(transitive, "BACKWARD_TRANSITIVE");
        for (String subject : List.of(latestOnly, transitive)) {
            client.register(subject, TODO_V1);
            assertThat(client.register(subject, EMPTY_TODO).status()).isEqualTo(200);
        }

        assertThat(client.register(latestOnly, v3).status()).isEqualTo(200);
        assertThat(client.register(transitive, v3).errorCode()).isEqualTo(409);
    }

    @Test
    void compatibilityLevelIsBackwardByDefaultAndSetPerSubject() {
        String subject = subject("config");

        Response global = client.get("/config");
        Response unset = client.get("/config/" + subject);
        Response defaulted = client.get("/config/" + subject + "?defaultToGlobal=true");
        Response put = client.put("/config/" + subject, "{\"compatibility\":\"full_transitive\"}");
        Response set = client.get("/config/" + subject);
        Response invalid = client.put("/config/" + subject, "{\"compatibility\":\"SIDEWAYS\"}");

        assertThat(global.body().get("compatibilityLevel").asText()).isEqualTo("BACKWARD");
        assertThat(unset.status()).isEqualTo(404);
        assertThat(unset.errorCode()).isEqualTo(40408);
        assertThat(defaulted.body().get("compatibilityLevel").asText()).isEqualTo("BACKWARD");
        assertThat(put.body().get("compatibility").asText()).isEqualTo("FULL_TRANSITIVE");
        assertThat(set.body().get("compatibilityLevel").asText()).isEqualTo("FULL_TRANSITIVE");
        assertThat(invalid.status()).isEqualTo(422);
        assertThat(invalid.errorCode()).isEqualTo(42203);
        assertThat(client.get("/config").body().get("compatibilityLevel").asText()).isEqualTo("BACKWARD");
    }

    @Test
    void malformedOrUnsupportedSchemasGet42201() {
        String subject = subject("malformed");

        Response notAvro = client.register(subject, "{\"type\":\"record\",\"name\":\"Broken\"}");
        Response notJson = client.register(subject, "{\"type\":");
        Response badDefault = client.register(subject, """
                {"type":"record","name":"Bad","fields":[{"name":"n","type":"int","default":"text"}]}""");
        Response protobuf = client.post("/subjects/" + subject + "/versions",
                "{\"schemaType\":\"PROTOBUF\",\"schema\":\"syntax = \\\"proto3\\\";\"}");

        for (Response response : List.of(notAvro, notJson, badDefault, protobuf)) {
            assertThat(response.status()).isEqualTo(422);
            assertThat(response.errorCode()).isEqualTo(42201);
        }
        assertThat(client.get("/subjects/" + subject + "/versions").errorCode()).isEqualTo(40401);
    }

    @Test
    void unknownSubjectVersionAndIdGetConfluentsErrorCodes() {
        String subject = subject("known");
        client.register(subject, TODO_V1);

        Response unknownSubject = client.get("/subjects/" + subject("unknown") + "/versions");
        Response unknownSubjectVersion = client.get("/subjects/" + subject("unknown") + "/versions/latest");
        Response unknownVersion = client.get("/subjects/" + subject + "/versions/7");
        Response invalidVersion = client.get("/subjects/" + subject + "/versions/0");
        Response unknownId = client.get("/schemas/ids/999999");
        Response unknownPath = client.get("/nothing/here");

        assertThat(unknownSubject.status()).isEqualTo(404);
        assertThat(unknownSubject.errorCode()).isEqualTo(40401);
        assertThat(unknownSubjectVersion.errorCode()).isEqualTo(40401);
        assertThat(unknownVersion.status()).isEqualTo(404);
        assertThat(unknownVersion.errorCode()).isEqualTo(40402);
        assertThat(invalidVersion.errorCode()).isEqualTo(42202);
        assertThat(unknownId.status()).isEqualTo(404);
        assertThat(unknownId.errorCode()).isEqualTo(40403);
        assertThat(unknownId.body().get("message").asText()).isNotBlank();
        assertThat(unknownPath.status()).isEqualTo(404);
    }

    @Test
    void lookUpFindsTheVersionThatHasASchema() {
        String subject = subject("look-up");
        int id = client.register(subject, TODO_V1).body().get("id").asInt();
        client.register(subject, TODO_V2_WITH_DEFAULT);

        JsonNode found = client.post("/subjects/" + subject, schemaBody(TODO_V1)).body();

        assertThat(found.get("subject").asText()).isEqualTo(subject);
        assertThat(found.get("version").asInt()).isEqualTo(1);
        assertThat(found.get("id").asInt()).isEqualTo(id);
    }

    @Test
    void subjectNamesAreTakenFromTheEncodedPath() {
        String subject = subject("dev.cqrs.todo/Todo Created+v1");

        int id = client.register(subject, TODO_V1).body().get("id").asInt();

        assertThat(client.get("/subjects").body()).extracting(JsonNode::asText).contains(subject);
        assertThat(client.get("/subjects/" + encode(subject) + "/versions/1").body().get("id").asInt()).isEqualTo(id);
    }

    @Test
    void concurrentRegistrationsOfOneSchemaGetOneIdAndOneVersion() throws Exception {
        String subject = subject("concurrent");
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Callable<Integer>> calls = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                calls.add(() -> client.register(subject, TODO_V1).body().get("id").asInt());
            }
            Set<Integer> ids = new HashSet<>();
            for (Future<Integer> result : pool.invokeAll(calls)) {
                ids.add(result.get());
            }

            assertThat(ids).hasSize(1);
            assertThat(ints(client.get("/subjects/" + subject + "/versions").body())).containsExactly(1);
        } finally {
            pool.shutdownNow();
        }
    }

    static void setLevel(String subject, String level) {
        assertThat(client.put("/config/" + encode(subject), "{\"compatibility\":\"" + level + "\"}").status())
                .isEqualTo(200);
    }

    static List<Integer> ints(JsonNode array) {
        List<Integer> values = new ArrayList<>();
        array.forEach(value -> values.add(value.asInt()));
        return values;
    }

    /** A subject of the test's own, so that tests sharing the registry stay independent. */
    static String subject(String name) {
        return name + "-" + UUID.randomUUID().toString().substring(0, 8);
    }
}
