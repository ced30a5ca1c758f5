package dev.cqrs.todo.api;

import graphql.language.AstPrinter;
import graphql.language.Document;
import graphql.schema.GraphQLArgument;
import graphql.schema.GraphQLFieldDefinition;
import graphql.schema.GraphQLFieldsContainer;
import graphql.schema.GraphQLNamedType;
import graphql.schema.GraphQLNonNull;
import graphql.schema.GraphQLObjectType;
import graphql.schema.GraphQLScalarType;
import graphql.schema.GraphQLSchema;
import graphql.schema.GraphQLTypeUtil;
import graphql.schema.GraphQLUnionType;
import graphql.schema.diff.SchemaDiff;
import graphql.schema.diff.SchemaDiffSet;
import graphql.schema.diff.reporting.CapturingReporter;
import graphql.schema.idl.SchemaParser;
import graphql.schema.idl.TypeDefinitionRegistry;
import graphql.schema.idl.UnExecutableSchemaGenerator;
import graphql.introspection.IntrospectionResultToSchema;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Whether one GraphQL schema keeps another as a contract: every type, field, argument, argument type,
 * default value and nullability of the old one is in the new one unchanged, and the new one only adds
 * (new types, new fields, new optional arguments). Two checks: graphql-java's {@link SchemaDiff}, which
 * finds what breaks or endangers a client of the old schema, and a strict walk that also refuses what
 * SchemaDiff lets pass (a field made nullable, a union that gained a member, a changed root type name).
 */
public final class SchemaSuperset {

    private SchemaSuperset() {
    }

    /** A schema from SDL on the class path, with no runtime behind it. */
    public static GraphQLSchema fromResource(String path) {
        try (InputStream in = SchemaSuperset.class.getResourceAsStream(path)) {
            return fromSdl(new String(Objects.requireNonNull(in, path + " is missing").readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static GraphQLSchema fromSdl(String sdl) {
        return UnExecutableSchemaGenerator.makeUnExecutableSchema(new SchemaParser().parse(sdl));
    }

    /** A schema from the data of an introspection query's answer: what a server serves. */
    public static GraphQLSchema fromIntrospection(Map<String, Object> introspection) {
        Document document = new IntrospectionResultToSchema().createSchemaDefinition(introspection);
        TypeDefinitionRegistry registry = new SchemaParser().buildRegistry(document);
        return UnExecutableSchemaGenerator.makeUnExecutableSchema(registry);
    }

    /** Everything in {@code ours} that breaks or changes {@code seed}: empty when ours is a superset. */
    public static List<String> differences(GraphQLSchema seed, GraphQLSchema ours) {
        List<String> found = new ArrayList<>();
        CapturingReporter reporter = new CapturingReporter();
        new SchemaDiff().diffSchema(SchemaDiffSet.diffSetFromIntrospection(seed, ours), reporter);
        reporter.getBreakages().forEach(e -> found.add("SchemaDiff breakage: " + e));
        reporter.getDangers().forEach(e -> found.add("SchemaDiff danger: " + e));
        strict(seed, ours, found);
        return found;
    }

    private static void strict(GraphQLSchema seed, GraphQLSchema ours, List<String> found) {
        rootName("query", seed.getQueryType(), ours.getQueryType(), found);
        rootName("mutation", seed.getMutationType(), ours.getMutationType(), found);
        for (GraphQLNamedType type : seed.getAllTypesAsList()) {
            String name = type.getName();
            GraphQLNamedType mine = ours.getType(name) instanceof GraphQLNamedType named ? named : null;
            if (name.startsWith("__")) {
                continue;
            }
            if (mine == null) {
                found.add("type " + name + " is missing");
            } else if (mine.getClass() != type.getClass()) {
                found.add("type " + name + " is a " + kind(mine) + ", not a " + kind(type));
            } else if (type instanceof GraphQLFieldsContainer fields) {
                fields(fields, (GraphQLFieldsContainer) mine, found);
            } else if (type instanceof GraphQLUnionType union) {
                Set<String> members = names(union.getTypes());
                Set<String> myMembers = names(((GraphQLUnionType) mine).getTypes());
                if (!members.equals(myMembers)) {
                    found.add("union " + name + " is " + myMembers + ", not " + members);
                }
            } else if (!(type instanceof GraphQLScalarType)) {
                found.add("type " + name + ": a " + kind(type) + " is not compared by this check");
            }
        }
    }

    private static void fields(GraphQLFieldsContainer seed, GraphQLFieldsContainer ours, List<String> found) {
        for (GraphQLFieldDefinition field : seed.getFieldDefinitions()) {
            String where = seed.getName() + "." + field.getName();
            GraphQLFieldDefinition mine = ours.getFieldDefinition(field.getName());
            if (mine == null) {
                found.add("field " + where + " is missing");
                continue;
            }
            if (!print(field.getType()).equals(print(mine.getType()))) {
                found.add("field " + where + " is " + print(mine.getType()) + ", not " + print(field.getType()));
            }
            for (GraphQLArgument argument : field.getArguments()) {
                GraphQLArgument myArgument = mine.getArgument(argument.getName());
                String at = where + "(" + argument.getName() + ")";
                if (myArgument == null) {
                    found.add("argument " + at + " is missing");
                } else if (!print(argument.getType()).equals(print(myArgument.getType()))) {
                    found.add("argument " + at + " is " + print(myArgument.getType()) + ", not " + print(argument.getType()));
                } else if (argument.hasSetDefaultValue() && !Objects.equals(defaultOf(argument), defaultOf(myArgument))) {
                    found.add("argument " + at + " defaults to " + defaultOf(myArgument) + ", not " + defaultOf(argument));
                }
            }
            for (GraphQLArgument added : mine.getArguments()) {
                if (field.getArgument(added.getName()) == null && added.getType() instanceof GraphQLNonNull && !added.hasSetDefaultValue()) {
                    found.add("argument " + where + "(" + added.getName() + ") is added but required: a seed client does not send it");
                }
            }
        }
    }

    private static void rootName(String operation, GraphQLObjectType seed, GraphQLObjectType ours, List<String> found) {
        String mine = ours == null ? "none" : ours.getName();
        if (seed != null && !seed.getName().equals(mine)) {
            found.add("the " + operation + " root type is " + mine + ", not " + seed.getName());
        }
    }

    private static String defaultOf(GraphQLArgument argument) {
        if (!argument.hasSetDefaultValue()) {
            return null;
        }
        Object value = argument.getArgumentDefaultValue().getValue();
        return value instanceof graphql.language.Value<?> literal ? AstPrinter.printAst(literal) : String.valueOf(value);
    }

    private static String print(graphql.schema.GraphQLType type) {
        return GraphQLTypeUtil.simplePrint(type);
    }

    private static Set<String> names(List<? extends GraphQLNamedType> types) {
        return types.stream().map(GraphQLNamedType::getName).collect(Collectors.toCollection(TreeSet::new));
    }

    private static String kind(GraphQLNamedType type) {
        return type.getClass().getSimpleName().replace("GraphQL", "").replace("Type", "").toLowerCase(java.util.Locale.ROOT);
    }
}
