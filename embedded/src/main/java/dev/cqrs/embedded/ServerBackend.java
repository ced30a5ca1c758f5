package dev.cqrs.embedded;

import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Where the tests' servers come from, chosen by one variable: the system property
 * {@code cqrs.test.servers}, else the environment variable {@code CQRS_TEST_SERVERS}, else
 * {@link #EMBEDDED}.
 *
 * <p>{@code PostgresServer.shared()}, {@code KafkaBroker.shared()}, {@code LocalSchemaRegistry.sharedUrl()}
 * and the test kit's {@code @CqrsTest} all follow it.
 */
public enum ServerBackend {

    /**
     * The default: a PostgreSQL 17 and a Kafka broker started in this JVM (no Docker), and a local
     * schema registry; a server that {@code CQRS_DB_URL}, {@code CQRS_KAFKA_BOOTSTRAP} or
     * {@code CQRS_SCHEMA_REGISTRY_URL} names is used instead of its embedded one.
     */
    EMBEDDED,

    /**
     * Testcontainers: {@code postgres:17}, {@code apache/kafka} (KRaft) and Confluent's
     * {@code cp-schema-registry}, started once per JVM. Needs a Docker engine and the
     * {@code org.testcontainers} jars (the test kit brings them); without an engine, the test kit
     * reports its tests as skipped, with the reason.
     */
    CONTAINERS,

    /**
     * Servers that someone else runs: {@code CQRS_DB_URL} (with {@code CQRS_DB_USER},
     * {@code CQRS_DB_PASSWORD}), {@code CQRS_KAFKA_BOOTSTRAP} and {@code CQRS_SCHEMA_REGISTRY_URL},
     * each required.
     */
    EXTERNAL;

    /** The environment variable that chooses the backend. */
    public static final String VARIABLE = "CQRS_TEST_SERVERS";
    /** The system property that chooses the backend, ahead of the environment variable. */
    public static final String PROPERTY = "cqrs.test.servers";

    /**
     * The backend chosen for this JVM (read at each call).
     *
     * @throws IllegalArgumentException when the property or variable holds anything but
     *                                  {@code embedded}, {@code containers} or {@code external}
     */
    public static ServerBackend selected() {
        return selected(System.getProperty(PROPERTY), System.getenv());
    }

    static ServerBackend selected(String property, Map<String, String> environment) {
        if (property != null && !property.isBlank()) {
            return parse(property, "system property " + PROPERTY);
        }
        String variable = environment.get(VARIABLE);
        if (variable != null && !variable.isBlank()) {
            return parse(variable, "environment variable " + VARIABLE);
        }
        return EMBEDDED;
    }

    static ServerBackend parse(String text, String source) {
        String name = text.strip().toUpperCase(Locale.ROOT);
        return Arrays.stream(values()).filter(backend -> backend.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(source + " must be one of " + names() + ", was '"
                        + text + "'"));
    }

    /**
     * The error for a variable that the {@link #EXTERNAL} backend needs and does not find.
     *
     * @param variable the missing variable, e.g. {@code CQRS_DB_URL}
     */
    public static IllegalStateException missing(String variable) {
        return new IllegalStateException(VARIABLE + "=external needs " + variable + " to name the server; set it, or"
                + " choose " + VARIABLE + "=embedded (the default) or containers");
    }

    /** The value that selects this backend, e.g. {@code containers}. */
    public String value() {
        return name().toLowerCase(Locale.ROOT);
    }

    private static String names() {
        return Arrays.stream(values()).map(ServerBackend::value).collect(Collectors.joining(", "));
    }
}
