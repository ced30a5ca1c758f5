package dev.cqrs.outbox;

import dev.cqrs.codec.kafka.EventTopic;
import dev.cqrs.core.codec.EventCodec;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

/**
 * The relay's configuration: every key declared once here, with its type, default and meaning, and
 * validated when the relay starts ({@link ConfigException} names the key and the bad value).
 * Keys prefixed {@code producer.} are passed to the Kafka producer as they are (e.g.
 * {@code producer.compression.type=lz4}), except those the relay owns for exactly-once delivery.
 * {@link #documentation()} prints the table.
 */
public final class RelayConfig extends AbstractConfig {

    public static final String BOOTSTRAP_SERVERS = "bootstrap.servers";
    public static final String NAME = "relay.name";
    public static final String TOPIC_PATTERN = "relay.topic.pattern";
    public static final String TOPIC_PARTITIONS = "relay.topic.partitions";
    public static final String TOPIC_REPLICATION_FACTOR = "relay.topic.replication.factor";
    public static final String CHECKPOINT_TOPIC = "relay.checkpoint.topic";
    public static final String BATCH_MAX_EVENTS = "relay.batch.max.events";
    public static final String POLL_INTERVAL_MS = "relay.poll.interval.ms";
    public static final String STANDBY_RETRY_MS = "relay.standby.retry.ms";
    public static final String ERROR_BACKOFF_MS = "relay.error.backoff.ms";
    public static final String TRANSACTION_TIMEOUT_MS = "relay.transaction.timeout.ms";
    public static final String KAFKA_TIMEOUT_MS = "relay.kafka.timeout.ms";
    public static final String ON_REGRESSION = "relay.on.regression";
    public static final String LOCK_LEASE_MS = "relay.lock.lease.ms";
    public static final String HOLDUP_WARN_MS = "relay.holdup.warn.ms";
    public static final String TOPIC_FIX_SETTINGS = "relay.topic.fix.settings";
    public static final String REFUSED_RETRY_MS = "relay.refused.retry.ms";
    public static final String PRODUCER_PREFIX = "producer.";

    private static final ConfigDef DEFINITION = new ConfigDef()
            .define(BOOTSTRAP_SERVERS, Type.LIST, ConfigDef.NO_DEFAULT_VALUE, new ConfigDef.NonEmptyString() {
                @Override
                public void ensureValid(String name, Object value) {
                    if (value == null || ((List<?>) value).isEmpty()) {
                        throw new ConfigException(name, value, "at least one host:port is needed");
                    }
                }
            }, Importance.HIGH, "The Kafka cluster to publish to, as host:port[,host:port...].")
            .define(NAME, Type.STRING, "", Importance.HIGH,
                    "Names this relay's group: relays of one store share it. It derives the Kafka transactional id "
                            + "(cqrs-relay-<name>, which fences a zombie leader), the PostgreSQL advisory lock that "
                            + "elects the leader, and the key of the checkpoint. Empty (the default): store-<id>, from the "
                            + "store's identity, so that relays of different stores never share a name. A name given here "
                            + "is checked against the store its checkpoint was written for.")
            .define(TOPIC_PATTERN, Type.STRING, "events.{aggregateType}", new ConfigDef.NonEmptyString(), Importance.HIGH,
                    "The topic of each aggregate type; {aggregateType} is replaced by the type.")
            .define(TOPIC_PARTITIONS, Type.INT, 6, Range.atLeast(1), Importance.MEDIUM,
                    "Partitions of the event topics the relay creates. Events are keyed by aggregate id, so one "
                            + "aggregate's events stay in order in one partition.")
            .define(TOPIC_REPLICATION_FACTOR, Type.SHORT, (short) -1, Importance.MEDIUM,
                    "Replication factor of the topics the relay creates; -1 takes the broker's default.")
            .define(CHECKPOINT_TOPIC, Type.STRING, "cqrs.relay.checkpoints", new ConfigDef.NonEmptyString(), Importance.MEDIUM,
                    "The compacted topic that holds the last published global position, written in the same Kafka "
                            + "transaction as the events it covers.")
            .define(BATCH_MAX_EVENTS, Type.INT, 2_000, Range.between(1, 50_000), Importance.MEDIUM,
                    "The most events published in one Kafka transaction. Larger batches relay a backlog faster; "
                            + "a quiet store sends small batches at once, so this does not add latency.")
            .define(POLL_INTERVAL_MS, Type.LONG, 1_000L, Range.between(10, 60_000), Importance.LOW,
                    "How long the relay waits for an append notification before reading the log anyway.")
            .define(STANDBY_RETRY_MS, Type.LONG, 500L, Range.between(10, 60_000), Importance.LOW,
                    "How often a standby relay tries to become the leader.")
            .define(ERROR_BACKOFF_MS, Type.LONG, 1_000L, Range.between(10, 300_000), Importance.LOW,
                    "How long the relay waits after an error (broker or database unavailable) before trying again.")
            .define(TRANSACTION_TIMEOUT_MS, Type.INT, 20_000, Range.between(1_000, 900_000), Importance.LOW,
                    "Kafka transaction timeout. If a leader dies with a transaction open and no standby takes over, "
                            + "read_committed consumers wait this long before the broker aborts it.")
            .define(KAFKA_TIMEOUT_MS, Type.INT, 10_000, Range.between(1_000, 300_000), Importance.LOW,
                    "How long a Kafka call may block (the producer's max.block.ms) before the relay backs off and retries.")
            .define(ON_REGRESSION, Type.STRING, "refuse", ConfigDef.ValidString.in("refuse", "realign"), Importance.MEDIUM,
                    "What the relay does when the database is behind its checkpoint (restored, recovered to a point in time, "
                            + "failed over to a standby that lost commits): refuse to publish, saying why (the default), or "
                            + "realign: renumber the events written since the database went back above the checkpoint, publish "
                            + "them, and log the published events the database lost.")
            .define(LOCK_LEASE_MS, Type.INT, 10_000, Range.between(1_000, 600_000), Importance.LOW,
                    "The leader's lease: the server ends the leader lock's session when it has been silent this long "
                            + "(idle_session_timeout; the leader speaks every 2 s), and probes its TCP connection as often, so "
                            + "a standby takes over within about this long after the leader's process pauses or its host vanishes.")
            .define(HOLDUP_WARN_MS, Type.INT, 5_000, Range.between(100, 3_600_000), Importance.LOW,
                    "An append still running holds back the global log; once one has been open this long the relay "
                            + "logs a WARN naming its backend and reports it in its status.")
            .define(TOPIC_FIX_SETTINGS, Type.BOOLEAN, false, Importance.LOW,
                    "Whether the relay may change the settings of existing topics it publishes to when they would lose "
                            + "events (retention, compaction) or refuse its largest records; otherwise it refuses to start "
                            + "and says which setting to change.")
            .define(REFUSED_RETRY_MS, Type.LONG, 30_000L, Range.between(100, 3_600_000), Importance.LOW,
                    "How often a relay that refused to publish (see its status) checks again.");

    private final TopicNames topicNames;

    /** @throws ConfigException naming the key, the value and what is wrong */
    public RelayConfig(Map<?, ?> properties) {
        super(DEFINITION, properties, false);
        this.topicNames = new TopicNames(getString(TOPIC_PATTERN));
        if (getShort(TOPIC_REPLICATION_FACTOR) == 0 || getShort(TOPIC_REPLICATION_FACTOR) < -1) {
            throw new ConfigException(TOPIC_REPLICATION_FACTOR, getShort(TOPIC_REPLICATION_FACTOR), "must be -1 or at least 1");
        }
        for (String owned : List.of("transactional.id", "enable.idempotence", "acks", "isolation.level",
                "key.serializer", "value.serializer")) {
            if (originals().containsKey(PRODUCER_PREFIX + owned)) {
                throw new ConfigException(PRODUCER_PREFIX + owned, originals().get(PRODUCER_PREFIX + owned),
                        "the relay sets this itself for exactly-once delivery");
            }
        }
    }

    /** The configuration keys as a table (name, type, default, meaning). */
    public static String documentation() {
        return DEFINITION.toEnrichedRst();
    }

    /** The topic the relay publishes the events of {@code aggregateType} to. */
    public String topicOf(String aggregateType) {
        return topicNames.topicOf(aggregateType);
    }

    /**
     * The topic the relay publishes the events of {@code aggregateType} to, with the codec that decodes them:
     * what the projections and reactors of those events read.
     */
    public <E> EventTopic<E> eventTopic(String aggregateType, EventCodec<E> codec) {
        return new EventTopic<>(topicOf(aggregateType), codec);
    }

    /** The relay group's name as configured, or empty: then it comes from the store's identity. */
    Optional<String> configuredName() {
        return getString(NAME).isBlank() ? Optional.empty() : Optional.of(getString(NAME));
    }

    static String transactionalId(String relayName) {
        return "cqrs-relay-" + relayName;
    }

    boolean realignOnRegression() {
        return getString(ON_REGRESSION).equals("realign");
    }

    Duration pollInterval() {
        return Duration.ofMillis(getLong(POLL_INTERVAL_MS));
    }

    Duration standbyRetry() {
        return Duration.ofMillis(getLong(STANDBY_RETRY_MS));
    }

    Duration errorBackoff() {
        return Duration.ofMillis(getLong(ERROR_BACKOFF_MS));
    }

    Map<String, Object> producerOverrides() {
        return originalsWithPrefix(PRODUCER_PREFIX);
    }
}
