package dev.cqrs.outbox;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Makes a relay group's transactional producers, with the settings exactly-once needs set over whatever
 * {@code producer.*} overrides the configuration holds.
 */
final class RelayProducers {

    /** Makes a producer from its settings: Kafka's, or (in fault tests) a decorator of Kafka's. */
    interface Factory {
        Producer<String, byte[]> create(Map<String, Object> settings);
    }

    /** Room beyond the store's largest record: ids, types, the fixed headers, Kafka's record and batch overhead. */
    static final int RECORD_OVERHEAD_BYTES = 16 * 1024;

    private final Factory factory;
    private final RelayConfig config;
    private final String bootstrapServers;
    private final String relayName;
    private final int maxRecordBytes;
    private final Duration kafkaTimeout;

    RelayProducers(Factory factory, RelayConfig config, String relayName, int storeMaxRecordBytes) {
        this.factory = factory;
        this.config = config;
        this.bootstrapServers = String.join(",", config.getList(RelayConfig.BOOTSTRAP_SERVERS));
        this.relayName = relayName;
        this.maxRecordBytes = storeMaxRecordBytes + RECORD_OVERHEAD_BYTES;
        this.kafkaTimeout = Duration.ofMillis(config.getInt(RelayConfig.KAFKA_TIMEOUT_MS));
    }

    /** The largest record the relay sends: the store's limit and Kafka's overhead. */
    int maxRecordBytes() {
        return maxRecordBytes;
    }

    /** The producer of the group's own transactional id. */
    Producer<String, byte[]> create() {
        return create(RelayConfig.transactionalId(relayName));
    }

    /** A producer of {@code transactionalId}: the group's, or one to fence (an earlier version's). */
    Producer<String, byte[]> create(String transactionalId) {
        Map<String, Object> props = new HashMap<>();
        props.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
        props.putAll(config.producerOverrides());
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Math.max(1 << 20, maxRecordBytes));
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, config.getInt(RelayConfig.TRANSACTION_TIMEOUT_MS));
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) kafkaTimeout.toMillis());
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "cqrs-relay-" + relayName);
        return factory.create(props);
    }

    /** Kafka's producer, as production uses it. */
    static Producer<String, byte[]> kafka(Map<String, Object> settings) {
        return new KafkaProducer<>(settings, new StringSerializer(), new ByteArraySerializer());
    }
}
