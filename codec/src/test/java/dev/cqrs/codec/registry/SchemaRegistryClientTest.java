package dev.cqrs.codec.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cqrs.test.CqrsServers;
import dev.cqrs.test.CqrsTest;
import java.util.UUID;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The client against a real registry that speaks the Confluent REST API: the embedded one, or
 * Confluent's own in a container with {@code CQRS_TEST_SERVERS=containers} (the test kit's idiom).
 */
@CqrsTest
class SchemaRegistryClientTest {

    private final String subject = "client-test." + UUID.randomUUID();
    private final String registryUrl;
    private final SchemaRegistryClient client;

    SchemaRegistryClientTest(CqrsServers servers) {
        registryUrl = servers.schemaRegistryUrl();
        client = SchemaRegistryClient.builder(registryUrl).build();
    }

    private static final Schema V1 = SchemaBuilder.record("Created").namespace("client").fields()
            .requiredString("description").endRecord();
    private static final Schema V2_COMPATIBLE = SchemaBuilder.record("Created").namespace("client").fields()
            .requiredString("description").optionalLong("reminder").endRecord();
    private static final Schema V2_INCOMPATIBLE = SchemaBuilder.record("Created").namespace("client").fields()
            .requiredString("description").requiredString("owner").endRecord();

    @AfterEach
    void close() {
        client.close();
    }

    @Test
    void aRegisteredSchemaCanBeFetchedByItsIdAndRegisteringItAgainGivesTheSameId() {
        int id = client.register(subject, V1);

        try (SchemaRegistryClient fresh = SchemaRegistryClient.builder(registryUrl).build()) {
            assertThat(fresh.schemaById(id)).isEqualTo(V1);
            assertThat(fresh.register(subject, V1)).isEqualTo(id);
            assertThat(fresh.versions(subject)).containsExactly(1);
        }
    }

    @Test
    void compatibilityIsCheckedAgainstTheLatestVersion() {
        assertThat(client.checkCompatibility(subject, V2_INCOMPATIBLE).isCompatible()).isTrue(); // no version yet
        client.register(subject, V1);

        assertThat(client.checkCompatibility(subject, V2_COMPATIBLE).isCompatible()).isTrue();
        assertThat(client.checkCompatibility(subject, V2_INCOMPATIBLE).isCompatible()).isFalse();
    }

    @Test
    void anIncompatibleSchemaIsRefusedWith409AndNotRegistered() {
        client.register(subject, V1);

        assertThatThrownBy(() -> client.register(subject, V2_INCOMPATIBLE))
                .isInstanceOfSatisfying(SchemaRegistryException.class, e -> {
                    assertThat(e.httpStatus()).isEqualTo(409);
                    assertThat(e.errorCode()).isEqualTo(SchemaRegistryException.INCOMPATIBLE_SCHEMA);
                    assertThat(e.isRetriable()).isFalse();
                })
                .hasMessageContaining("subject '" + subject + "'");
        assertThat(client.versions(subject)).containsExactly(1);
        int v2 = client.register(subject, V2_COMPATIBLE);
        assertThat(client.versions(subject)).containsExactly(1, 2);
        assertThat(client.schemaById(v2)).isEqualTo(V2_COMPATIBLE);
    }

    @Test
    void anUnknownIdOrSubjectIsReportedAsSuch() {
        assertThatThrownBy(() -> client.schemaById(Integer.MAX_VALUE))
                .isInstanceOfSatisfying(SchemaRegistryException.class, e -> {
                    assertThat(e.httpStatus()).isEqualTo(404);
                    assertThat(e.errorCode()).isEqualTo(SchemaRegistryException.SCHEMA_NOT_FOUND);
                })
                .hasMessageContaining("fetching the schema with id " + Integer.MAX_VALUE)
                .hasMessageContaining("another registry");
        assertThat(client.versions(subject)).isEmpty();
    }
}
