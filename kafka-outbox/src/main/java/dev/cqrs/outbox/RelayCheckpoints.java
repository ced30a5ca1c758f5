package dev.cqrs.outbox;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * The relay's checkpoint: the last global position it published, kept in a compacted topic and written
 * in the same Kafka transaction as the events it covers. Read back with {@code read_committed}, after
 * the producer's {@code initTransactions} has aborted or completed whatever a previous leader left
 * open, it is exactly where publishing must resume.
 */
final class RelayCheckpoints {

    private final String topic;
    private final String key;
    private final String bootstrapServers;
    private final Duration timeout;

    RelayCheckpoints(String topic, String key, String bootstrapServers, Duration timeout) {
        this.topic = topic;
        this.key = key;
        this.bootstrapServers = bootstrapServers;
        this.timeout = timeout;
    }

    /** The checkpoint record for {@code position}. */
    ProducerRecord<String, byte[]> record(long position) {
        return new ProducerRecord<>(topic, 0, key, Long.toString(position).getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The last committed checkpoint, or 0 when this relay group never published. {@code highWatermark}
     * is the end of the checkpoint partition, committed or not, taken after {@code initTransactions}:
     * the read goes on until the last stable offset has passed it. Stopping at the last stable offset of
     * the moment instead would be wrong when relay groups share the topic: another group's transaction
     * still open below our last checkpoint would hide that checkpoint, and we would publish again what
     * it covers. Such a transaction ends within its timeout ({@code patience}).
     */
    long read(long highWatermark, Duration patience) {
        Map<String, Object> config = new HashMap<>();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, "cqrs-relay-checkpoint-reader");
        config.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
        config.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.min(timeout.toMillis(), 30_000));
        try (KafkaConsumer<String, byte[]> consumer =
                     new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer())) {
            TopicPartition partition = new TopicPartition(topic, 0);
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            long position = 0;
            Duration limit = timeout.plus(patience);
            long deadline = System.nanoTime() + limit.toNanos();
            while (consumer.position(partition, timeout) < highWatermark) {
                if (System.nanoTime() > deadline) {
                    throw new TimeoutException("reading the relay checkpoint from " + topic + " up to offset " + highWatermark
                            + " took longer than " + limit + " (a transaction on the topic stays open)");
                }
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (key.equals(record.key()) && record.value() != null) {
                        position = Long.parseLong(new String(record.value(), StandardCharsets.UTF_8));
                    }
                }
            }
            return position;
        }
    }
}
