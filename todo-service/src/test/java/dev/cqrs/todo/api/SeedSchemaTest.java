package dev.cqrs.todo.api;

import static org.assertj.core.api.Assertions.assertThat;

import graphql.schema.GraphQLSchema;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import org.junit.jupiter.api.Test;

/**
 * The seed's GraphQL schema is a contract: ours ({@code schema.graphqls}, which {@link TodoGraphQL} serves as
 * it is) holds every type, field, argument, argument type, default and nullability of the seed's
 * ({@code seed-schema.graphqls}, derived from cq-rs/cqrs) unchanged, and only adds to it.
 */
class SeedSchemaTest {

    private static final String SEED = "/dev/cqrs/todo/api/seed-schema.graphqls";
    private static final String OURS = "/dev/cqrs/todo/api/schema.graphqls";

    @Test
    void ourSchemaIsASupersetOfTheSeeds() {
        assertThat(SchemaSuperset.differences(SchemaSuperset.fromResource(SEED), SchemaSuperset.fromResource(OURS))).isEmpty();
    }

    @Test
    void ourSchemaAddsPositionsCommandResultsAndIdempotencyKeysAsOptionalArguments() {
        GraphQLSchema ours = SchemaSuperset.fromResource(OURS);

        assertThat(ours.getObjectType("TodoQL").getFieldDefinition("position")).isNotNull();
        assertThat(ours.getObjectType("TodoQL").getFieldDefinition("command")).isNotNull();
        assertThat(ours.getObjectType("Mutations").getFieldDefinition("newTodo").getArgument("idempotencyKey")).isNotNull();
        assertThat(ours.getObjectType("Query").getFieldDefinition("todo").getArgument("minPosition")).isNotNull();
    }

    @Test
    void theCheckFindsWhatWouldBreakASeedClient() throws IOException {
        String seed = read(SEED);
        GraphQLSchema seedSchema = SchemaSuperset.fromSdl(seed);

        assertThat(SchemaSuperset.differences(seedSchema, SchemaSuperset.fromSdl(seed))).isEmpty();
        assertThat(SchemaSuperset.differences(seedSchema, SchemaSuperset.fromSdl(seed.replace("  version: Int!\n", ""))))
                .anySatisfy(d -> assertThat(d).contains("field TodoQL.version is missing"));
        assertThat(SchemaSuperset.differences(seedSchema, SchemaSuperset.fromSdl(seed.replace("description: String!", "description: String"))))
                .anySatisfy(d -> assertThat(d).contains("field TodoQL.description is String, not String!"));
        assertThat(SchemaSuperset.differences(seedSchema, SchemaSuperset.fromSdl(seed
                .replace("toggle(expectedVersion: Int): TodoQL", "toggle(expectedVersion: Int, reason: String!): TodoQL"))))
                .anySatisfy(d -> assertThat(d).contains("TodoMutQL.toggle(reason) is added but required"));
        assertThat(SchemaSuperset.differences(seedSchema, SchemaSuperset.fromSdl(seed.replace("maxCount: Int = 100", "maxCount: Int = 20"))))
                .anySatisfy(d -> assertThat(d).contains("TodoQL.events(maxCount) defaults to 20, not 100"));
        assertThat(SchemaSuperset.differences(seedSchema, SchemaSuperset.fromSdl(seed.replace("DateTimeUtc", "DateTime"))))
                .anySatisfy(d -> assertThat(d).contains("type DateTimeUtc is missing"));
        assertThat(SchemaSuperset.differences(seedSchema, SchemaSuperset.fromSdl(seed.replace("mutation: Mutations", "mutation: Mutation")
                .replace("type Mutations", "type Mutation"))))
                .anySatisfy(d -> assertThat(d).contains("the mutation root type is Mutation, not Mutations"));
        assertThat(SchemaSuperset.differences(seedSchema, SchemaSuperset.fromSdl(seed.replace("| Uncompleted", "| Uncompleted | Archived")
                + "\ntype Archived { at: DateTimeUtc }\n")))
                .anySatisfy(d -> assertThat(d).contains("union TodoEvent"));
    }

    private static String read(String path) throws IOException {
        try (InputStream in = SeedSchemaTest.class.getResourceAsStream(path)) {
            return new String(Objects.requireNonNull(in, path).readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
