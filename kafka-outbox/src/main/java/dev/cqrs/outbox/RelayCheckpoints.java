package dev.cqrs.outbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cqrs.postgres.StoreIdentity;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * The relay's records in its compacted checkpoint topic, written in the same Kafka transaction as the
 * events they cover:
 * <ul>
 *   <li>under the relay group's name, its checkpoint: the last global position published, the id of the
 *       event at that position and the identity of the store it came from ({@link Checkpoint});</li>
 *   <li>under {@code topic:<name>}, which store publishes to an event topic ({@link TopicOwner}), so that
 *       two stores never mix their events (and positions) in one topic.</li>
 * </ul>
 * Values are small JSON objects, readable with any console consumer. A checkpoint written by an earlier
 * version of the relay is a bare decimal position; it is read as a checkpoint with no event id and no
 * store.
 *
 * <p>Read back with {@code read_committed}, after the producer's {@code initTransactions} has aborted or
 * completed whatever a previous leader left open, a checkpoint is exactly where publishing must resume.
 */
final class RelayCheckpoints {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** The prefix of the keys of topic owners. */
    static final String TOPIC_KEY_PREFIX = "topic:";

    /**
     * Where a relay group got to.
     *
     * @param position the last global position published (0: nothing yet)
     * @param eventId  the id of the event at {@code position}; empty in a checkpoint of an earlier version
     * @param store    the store the events came from; empty in a checkpoint of an earlier version
     */
    record Checkpoint(long position, Optional<UUID> eventId, Optional<StoreIdentity> store) {

        static final Checkpoint NONE = new Checkpoint(0, Optional.empty(), Optional.empty());

        boolean isLegacy() {
            return store.isEmpty() && position > 0;
        }
    }

    /** The store that publishes to an event topic. */
    record TopicOwner(String topic, StoreIdentity store) {
    }

    /** What the checkpoint topic holds, by key: the latest value of each. */
    record Contents(Map<String, Checkpoint> checkpoints, Map<String, TopicOwner> topicOwners) {

        Checkpoint checkpoint(String relayName) {
            return checkpoints.getOrDefault(relayName, Checkpoint.NONE);
        }
    }

    private final String topic;
    private final String bootstrapServers;
    private final Duration timeout;

    RelayCheckpoints(String topic, String bootstrapServers, Duration timeout) {
        this.topic = topic;
        this.bootstrapServers = bootstrapServers;
        this.timeout = timeout;
    }

    /** The checkpoint record of relay group {@code relayName}: {@code position}, the event there, the store. */
    ProducerRecord<String, byte[]> record(String relayName, long position, UUID eventId, StoreIdentity store) {
        ObjectNode value = JSON.createObjectNode();
        value.put("position", position);
        value.put("eventId", eventId.toString());
        putStore(value, store);
        return record(relayName, value);
    }

    /** The record that says {@code store} publishes to {@code eventTopic}. */
    ProducerRecord<String, byte[]> ownerRecord(String eventTopic, StoreIdentity store) {
        ObjectNode value = JSON.createObjectNode();
        value.put("topic", eventTopic);
        putStore(value, store);
        return record(TOPIC_KEY_PREFIX + eventTopic, value);
    }

    private ProducerRecord<String, byte[]> record(String key, ObjectNode value) {
        try {
            return new ProducerRecord<>(topic, 0, key, JSON.writeValueAsBytes(value));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void putStore(ObjectNode value, StoreIdentity store) {
        value.put("storeId", store.storeId().toString());
        value.put("database", store.database());
        value.put("schema", store.schema());
    }

    /**
     * The latest committed value of every key. {@code highWatermark} is the end of the checkpoint partition,
     * committed or not, taken after {@code initTransactions}: the read goes on until the last stable offset
     * has passed it. Stopping at the last stable offset of the moment instead would be wrong when relay groups
     * share the topic: another group's transaction still open below our last checkpoint would hide that
     * checkpoint, and we would publish again what it covers. Such a transaction ends within its timeout
     * ({@code patience}).
     */
    Contents read(long highWatermark, Duration patience) {
        Map<String, Object> config = new HashMap<>();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, "cqrs-relay-checkpoint-reader");
        config.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
        config.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.min(timeout.toMillis(), 30_000));
        Map<String, Checkpoint> checkpoints = new HashMap<>();
        Map<String, TopicOwner> owners = new HashMap<>();
        try (KafkaConsumer<String, byte[]> consumer =
                     new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer())) {
            TopicPartition partition = new TopicPartition(topic, 0);
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            Duration limit = timeout.plus(patience);
            long deadline = System.nanoTime() + limit.toNanos();
            while (consumer.position(partition, timeout) < highWatermark) {
                if (System.nanoTime() > deadline) {
                    throw new TimeoutException("reading the relay checkpoint from " + topic + " up to offset " + highWatermark
                            + " took longer than " + limit + " (a transaction on the topic stays open)");
                }
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (record.key() == null || record.value() == null) {
                        continue;
                    }
                    if (record.key().startsWith(TOPIC_KEY_PREFIX)) {
                        parseOwner(record).ifPresent(owner -> owners.put(owner.topic(), owner));
                    } else {
                        parseCheckpoint(record).ifPresent(checkpoint -> checkpoints.put(record.key(), checkpoint));
                    }
                }
            }
        }
        return new Contents(checkpoints, owners);
    }

    private Optional<Checkpoint> parseCheckpoint(ConsumerRecord<String, byte[]> record) {
        String text = new String(record.value(), StandardCharsets.UTF_8).trim();
        if (!text.startsWith("{")) {
            return Optional.of(new Checkpoint(Long.parseLong(text), Optional.empty(), Optional.empty()));
        }
        JsonNode value = parse(record, text);
        return Optional.of(new Checkpoint(value.path("position").asLong(),
                Optional.ofNullable(value.path("eventId").textValue()).map(UUID::fromString), store(value)));
    }

    private Optional<TopicOwner> parseOwner(ConsumerRecord<String, byte[]> record) {
        JsonNode value = parse(record, new String(record.value(), StandardCharsets.UTF_8));
        return store(value).map(store -> new TopicOwner(value.path("topic").asText(), store));
    }

    private JsonNode parse(ConsumerRecord<String, byte[]> record, String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new IllegalStateException("the record " + record.key() + " at " + topic + "@" + record.offset()
                    + " of the checkpoint topic is not readable: " + e.getMessage(), e);
        }
    }

    private static Optional<StoreIdentity> store(JsonNode value) {
        String id = value.path("storeId").textValue();
        if (id == null) {
            return Optional.empty();
        }
        return Optional.of(new StoreIdentity(UUID.fromString(id), value.path("database").asText(), value.path("schema").asText()));
    }
}
