package dev.cqrs.test;

import dev.cqrs.embedded.ServerBackend;
import dev.cqrs.embedded.kafka.KafkaBroker;
import dev.cqrs.embedded.postgres.TestDatabase;
import java.util.Objects;
import java.util.Optional;
import javax.sql.DataSource;
import org.junit.jupiter.api.Assumptions;

/**
 * The servers of one test class (see {@link CqrsTest}): its own database, a topic prefix of its
 * own, the shared Kafka broker and the schema registry.
 */
public final class CqrsServers {

    private final ServerBackend backend;
    private final TestDatabase database;
    private final KafkaBroker kafka;
    private final String schemaRegistryUrl;
    private final String topicPrefix;
    private final Optional<String> unavailable;

    private CqrsServers(ServerBackend backend, TestDatabase database, KafkaBroker kafka, String schemaRegistryUrl,
                        String topicPrefix, Optional<String> unavailable) {
        this.backend = backend;
        this.database = database;
        this.kafka = kafka;
        this.schemaRegistryUrl = schemaRegistryUrl;
        this.topicPrefix = topicPrefix;
        this.unavailable = unavailable;
    }

    static CqrsServers of(ServerBackend backend, TestDatabase database, KafkaBroker kafka, String schemaRegistryUrl,
                          String topicPrefix) {
        return new CqrsServers(Objects.requireNonNull(backend, "backend"), Objects.requireNonNull(database, "database"),
                Objects.requireNonNull(kafka, "kafka"), Objects.requireNonNull(schemaRegistryUrl, "schemaRegistryUrl"),
                Objects.requireNonNull(topicPrefix, "topicPrefix"), Optional.empty());
    }

    /** Servers that cannot be had here; every accessor aborts the test that calls it with {@code reason}. */
    static CqrsServers unavailable(ServerBackend backend, String reason) {
        return new CqrsServers(backend, null, null, null, null, Optional.of(reason));
    }

    /** Why the servers cannot be had here (then the tests are skipped), or empty. */
    Optional<String> unavailableReason() {
        return unavailable;
    }

    /** Where the servers come from ({@code CQRS_TEST_SERVERS}). */
    public ServerBackend backend() {
        return backend;
    }

    /** This class's database: empty when the class starts, its name unique across JVMs. */
    public TestDatabase database() {
        abortIfUnavailable();
        return database;
    }

    /** The JDBC URL of {@link #database()}, without credentials ({@link #database()} has them). */
    public String jdbcUrl() {
        abortIfUnavailable();
        return database.jdbcUrl();
    }

    /** A new non-pooling data source for {@link #database()}. */
    public DataSource dataSource() {
        abortIfUnavailable();
        return database.dataSource();
    }

    /** Kafka's {@code bootstrap.servers}. */
    public String bootstrapServers() {
        abortIfUnavailable();
        return kafka.bootstrapServers();
    }

    /** The base URL of a registry that speaks Confluent's REST API. */
    public String schemaRegistryUrl() {
        abortIfUnavailable();
        return schemaRegistryUrl;
    }

    /** This class's topic prefix, e.g. {@code AccountProjectionTest-3-9f2c01ab-}; name its topics with it. */
    public String topicPrefix() {
        abortIfUnavailable();
        return topicPrefix;
    }

    /** {@code name} behind this class's prefix; the topic is not created. */
    public String topic(String name) {
        abortIfUnavailable();
        return topicPrefix + name;
    }

    /**
     * Creates {@link #topic(String) topic(name)} with {@code partitions} partitions and returns its
     * full name.
     *
     * @throws IllegalStateException when it exists already or cannot be created
     */
    public String createTopic(String name, int partitions) {
        String topic = topic(name);
        kafka.createTopic(topic, partitions);
        return topic;
    }

    private void abortIfUnavailable() {
        unavailable.ifPresent(Assumptions::abort);
    }

    @Override
    public String toString() {
        if (unavailable.isPresent()) {
            return "CqrsServers[" + backend.value() + ": unavailable, " + unavailable.get() + "]";
        }
        return "CqrsServers[" + backend.value() + ": " + database + ", Kafka at " + bootstrapServers()
                + ", registry at " + schemaRegistryUrl + ", topics " + topicPrefix + "*]";
    }
}
