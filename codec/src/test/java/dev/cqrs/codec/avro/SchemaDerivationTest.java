package dev.cqrs.codec.avro;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;

class SchemaDerivationTest {

    enum Priority { LOW, HIGH }

    record Tag(String label, Optional<String> color) {
    }

    record Scalars(String s, int i, Integer boxed, long l, boolean b, double d, float f, byte[] raw, Instant at, UUID id) {
    }

    record Created(UUID id, String description, Optional<Instant> reminder, List<Tag> tags, Priority priority) {
    }

    record Completed() {
    }

    /** Refers to itself through a list. */
    record Node(String name, List<Node> children) {
    }

    /** Uses Tag twice: the second use must refer to the first definition by name. */
    record Pair(Tag left, Optional<Tag> right) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private static void assertSchema(Class<?> record, String expected) throws Exception {
        Schema schema = new SchemaDerivation("todo").record(record).schema();

        assertThat(JSON.readTree(schema.toString())).isEqualTo(JSON.readTree(expected.replace('\'', '"')));
        // And Avro reads its own text back as the same schema.
        assertThat(new Schema.Parser().parse(schema.toString())).isEqualTo(schema);
    }

    @Test
    void scalarsMapToAvroPrimitivesAndLogicalTypes() throws Exception {
        assertSchema(Scalars.class, """
                {'type': 'record', 'name': 'Scalars', 'namespace': 'todo', 'fields': [
                  {'name': 's', 'type': 'string'},
                  {'name': 'i', 'type': 'int'},
                  {'name': 'boxed', 'type': 'int'},
                  {'name': 'l', 'type': 'long'},
                  {'name': 'b', 'type': 'boolean'},
                  {'name': 'd', 'type': 'double'},
                  {'name': 'f', 'type': 'float'},
                  {'name': 'raw', 'type': 'bytes'},
                  {'name': 'at', 'type': {'type': 'long', 'logicalType': 'timestamp-millis'}},
                  {'name': 'id', 'type': {'type': 'string', 'logicalType': 'uuid'}}
                ]}""");
    }

    @Test
    void optionalsAreNullableUnionsWithANullDefaultAndListsArraysOfNamedTypes() throws Exception {
        assertSchema(Created.class, """
                {'type': 'record', 'name': 'Created', 'namespace': 'todo', 'fields': [
                  {'name': 'id', 'type': {'type': 'string', 'logicalType': 'uuid'}},
                  {'name': 'description', 'type': 'string'},
                  {'name': 'reminder', 'type': ['null', {'type': 'long', 'logicalType': 'timestamp-millis'}], 'default': null},
                  {'name': 'tags', 'type': {'type': 'array', 'items': {'type': 'record', 'name': 'Tag', 'fields': [
                      {'name': 'label', 'type': 'string'},
                      {'name': 'color', 'type': ['null', 'string'], 'default': null}
                  ]}}},
                  {'name': 'priority', 'type': {'type': 'enum', 'name': 'Priority', 'symbols': ['LOW', 'HIGH']}}
                ]}""");
    }

    @Test
    void aRecordWithoutComponentsIsARecordWithoutFields() throws Exception {
        assertSchema(Completed.class, "{'type': 'record', 'name': 'Completed', 'namespace': 'todo', 'fields': []}");
    }

    @Test
    void recursiveAndRepeatedRecordsReferToTheirFirstDefinitionByName() throws Exception {
        assertSchema(Node.class, """
                {'type': 'record', 'name': 'Node', 'namespace': 'todo', 'fields': [
                  {'name': 'name', 'type': 'string'},
                  {'name': 'children', 'type': {'type': 'array', 'items': 'Node'}}
                ]}""");
        assertSchema(Pair.class, """
                {'type': 'record', 'name': 'Pair', 'namespace': 'todo', 'fields': [
                  {'name': 'left', 'type': {'type': 'record', 'name': 'Tag', 'fields': [
                      {'name': 'label', 'type': 'string'},
                      {'name': 'color', 'type': ['null', 'string'], 'default': null}
                  ]}},
                  {'name': 'right', 'type': ['null', 'Tag'], 'default': null}
                ]}""");
    }

    @Test
    void theFullNameIsTheNamespaceAndTheSimpleNameNotTheJavaPackage() {
        assertThat(new SchemaDerivation("todo.v1").record(Completed.class).schema().getFullName()).isEqualTo("todo.v1.Completed");
        assertThat(new SchemaDerivation("").record(Completed.class).schema().getFullName()).isEqualTo("Completed");
        assertThatThrownBy(() -> new SchemaDerivation("todo-app"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'todo-app' is not an Avro namespace");
    }

    record WithMap(Map<String, String> attributes) {
    }

    record WithSet(Set<String> labels) {
    }

    record WithNestedOptional(Optional<Optional<String>> maybe) {
    }

    record WithRawList(@SuppressWarnings("rawtypes") List items) {
    }

    record WithShort(short small) {
    }

    static final class Outer {
        record Tag(String other) {
        }
    }

    record TwoTags(Tag first, Outer.Tag second) {
    }

    @Test
    void aTypeWithoutMappingIsRefusedNamingTheComponent() {
        SchemaDerivation derivation = new SchemaDerivation("todo");

        assertThatThrownBy(() -> derivation.record(WithMap.class))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("component 'attributes' of " + WithMap.class.getName())
                .hasMessageContaining("java.util.Map<java.lang.String, java.lang.String>")
                .hasMessageContaining("supported: ");
        assertThatThrownBy(() -> derivation.record(WithSet.class)).hasMessageContaining("component 'labels'");
        assertThatThrownBy(() -> derivation.record(WithShort.class)).hasMessageContaining("has type short");
        assertThatThrownBy(() -> derivation.record(WithNestedOptional.class)).hasMessageContaining("Optional of an Optional");
        assertThatThrownBy(() -> derivation.record(WithRawList.class)).hasMessageContaining("raw List");
        assertThatThrownBy(() -> derivation.record(String.class)).hasMessageContaining("is not a record");
    }

    @Test
    void twoClassesWithOneSimpleNameAreRefused() {
        assertThatThrownBy(() -> new SchemaDerivation("todo").record(TwoTags.class))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(Tag.class.getName())
                .hasMessageContaining(Outer.Tag.class.getName())
                .hasMessageContaining("'todo.Tag'");
    }
}
