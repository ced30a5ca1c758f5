package dev.cqrs.projector;

import java.time.Duration;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

/**
 * The projector's configuration: every key declared once, with type, default and meaning, and
 * validated at start ({@link ConfigException} names the key). Keys prefixed {@code streams.} go to
 * Kafka Streams as they are, except those the projector owns ({@code processing.guarantee} is always
 * exactly_once_v2). {@link #documentation()} prints the table.
 */
public final class ProjectorConfig extends AbstractConfig {

    public static final String BOOTSTRAP_SERVERS = "bootstrap.servers";
    public static final String APPLICATION_PREFIX = "projector.application.prefix";
    public static final String READ_MODEL_URL = "projector.readmodel.url";
    public static final String READ_MODEL_USER = "projector.readmodel.user";
    public static final String READ_MODEL_PASSWORD = "projector.readmodel.password";
    public static final String READ_SCHEMA = "projector.read.schema";
    public static final String REGISTRY_SCHEMA = "projector.registry.schema";
    public static final String FLUSH_INTERVAL_MS = "projector.flush.interval.ms";
    public static final String COMMIT_INTERVAL_MS = "projector.commit.interval.ms";
    public static final String BATCH_MAX_EVENTS = "projector.batch.max.events";
    public static final String HANDLER_ATTEMPTS = "projector.handler.attempts";
    public static final String STATE_DIR = "projector.state.dir";
    public static final String TOPIC_PARTITIONS = "projector.topic.partitions";
    public static final String STREAM_THREADS = "projector.stream.threads";
    public static final String STREAMS_PREFIX = "streams.";

    private static final String IDENTIFIER = "[a-z_][a-z0-9_]{0,40}";

    private static final ConfigDef DEFINITION = new ConfigDef()
            .define(BOOTSTRAP_SERVERS, Type.LIST, ConfigDef.NO_DEFAULT_VALUE, Importance.HIGH,
                    "The Kafka cluster with the event topics, as host:port[,host:port...].")
            .define(APPLICATION_PREFIX, Type.STRING, "cqrs", new ConfigDef.NonEmptyString(), Importance.HIGH,
                    "Prefixes the Kafka Streams application id of every projection and reactor "
                            + "(<prefix>-<projection>-g<generation>, <prefix>-reactor-<name>) and their dead-letter topics.")
            .define(READ_MODEL_URL, Type.STRING, "", Importance.HIGH,
                    "JDBC URL of the PostgreSQL database that holds the read models (needed for PostgreSQL projections).")
            .define(READ_MODEL_USER, Type.STRING, "postgres", Importance.HIGH, "User of the read-model database.")
            .define(READ_MODEL_PASSWORD, Type.PASSWORD, "", Importance.HIGH, "Password of the read-model database.")
            .define(READ_SCHEMA, Type.STRING, "read", Importance.MEDIUM,
                    "Schema of the views that readers query; each points at the active generation of its projection.")
            .define(REGISTRY_SCHEMA, Type.STRING, "cqrs_projections", Importance.LOW,
                    "Schema of the table that records each projection's generations.")
            .define(FLUSH_INTERVAL_MS, Type.LONG, 5L, Range.between(1, 10_000), Importance.MEDIUM,
                    "How long a read-model change waits in the buffer, at the most, before it is written to PostgreSQL "
                            + "(the timed flush, on a timer thread of its own). Lower: fresher read models; higher: fewer "
                            + "transactions.")
            .define(COMMIT_INTERVAL_MS, Type.LONG, 100L, Range.between(10, 60_000), Importance.LOW,
                    "Kafka Streams commit interval (each commit is a Kafka transaction under exactly_once_v2).")
            .define(BATCH_MAX_EVENTS, Type.INT, 2_000, Range.between(1, 100_000), Importance.MEDIUM,
                    "The most events written to PostgreSQL in one transaction.")
            .define(HANDLER_ATTEMPTS, Type.INT, 3, Range.between(1, 100), Importance.MEDIUM,
                    "How often a throwing handler or reaction is tried before its event goes to the dead-letter topic.")
            .define(TOPIC_PARTITIONS, Type.INT, 6, Range.atLeast(1), Importance.MEDIUM,
                    "Partitions of an event topic that the projector has to create because no event was published "
                            + "to it yet. Keep it equal to the relay's relay.topic.partitions.")
            .define(STREAM_THREADS, Type.INT, 1, Range.between(1, 32), Importance.MEDIUM,
                    "Kafka Streams threads per projection. Two let one thread process while the other waits on a "
                            + "PostgreSQL or Kafka commit: a replay measured 0.26 of raw JDBC with one and 0.47 with two "
                            + "(./cqrs bench). One is the default: a restarted process with two takes much longer to get "
                            + "its partitions back after a crash (see BENCHMARKS.md).")
            .define(STATE_DIR, Type.STRING, System.getProperty("java.io.tmpdir") + "/cqrs-streams", Importance.LOW,
                    "Directory of the Kafka Streams state stores.");

    /** @throws ConfigException naming the key, the value and what is wrong */
    public ProjectorConfig(Map<?, ?> properties) {
        super(DEFINITION, properties, false);
        for (String key : new String[] {READ_SCHEMA, REGISTRY_SCHEMA}) {
            if (!getString(key).matches(IDENTIFIER)) {
                throw new ConfigException(key, getString(key), "must be a lower-case SQL identifier");
            }
        }
        if (getString(APPLICATION_PREFIX).matches(".*[^a-zA-Z0-9._-].*")) {
            throw new ConfigException(APPLICATION_PREFIX, getString(APPLICATION_PREFIX), "may only hold letters, digits, '.', '_' and '-'");
        }
        if (originals().containsKey(STREAMS_PREFIX + "processing.guarantee")) {
            throw new ConfigException(STREAMS_PREFIX + "processing.guarantee", originals().get(STREAMS_PREFIX + "processing.guarantee"),
                    "the projector always runs exactly_once_v2");
        }
    }

    /** The configuration keys as a table. */
    public static String documentation() {
        return DEFINITION.toEnrichedRst();
    }

    String bootstrapServers() {
        return String.join(",", getList(BOOTSTRAP_SERVERS));
    }

    String prefix() {
        return getString(APPLICATION_PREFIX);
    }

    Duration flushInterval() {
        return Duration.ofMillis(getLong(FLUSH_INTERVAL_MS));
    }

    boolean hasReadModelDatabase() {
        return !getString(READ_MODEL_URL).isBlank();
    }

    Map<String, Object> streamsOverrides() {
        return originalsWithPrefix(STREAMS_PREFIX);
    }
}
