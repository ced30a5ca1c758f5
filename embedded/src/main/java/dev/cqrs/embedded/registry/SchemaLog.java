package dev.cqrs.embedded.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registry's durable state: a compacted, single-partition Kafka topic in the record format
 * of Confluent's {@code _schemas} (JSON keys and values, one record per schema version and per
 * compatibility setting), read from the beginning on start and appended to, synchronously with
 * acks=all, before a change is answered. One registry writes to a topic at a time.
 */
final class SchemaLog implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SchemaLog.class);
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    /** A schema registered under a subject as a version. */
    record SchemaEntry(String subject, int version, int id, String schema) {
    }

    /** A compatibility level set globally (no subject) or for one subject. */
    record ConfigEntry(Optional<String> subject, CompatibilityLevel level) {
    }

    private final ObjectMapper json = new ObjectMapper();
    private final String bootstrapServers;
    private final String topic;
    private final KafkaProducer<String, String> producer;

    private SchemaLog(String bootstrapServers, String topic) {
        this.bootstrapServers = bootstrapServers;
        this.topic = topic;
        this.producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.LINGER_MS_CONFIG, 0,
                ProducerConfig.CLIENT_ID_CONFIG, "cqrs-local-schema-registry-" + topic),
                new StringSerializer(), new StringSerializer());
    }

    /** Creates the topic if it does not exist yet. */
    static SchemaLog open(String bootstrapServers, String topic) {
        createTopicIfAbsent(bootstrapServers, topic);
        return new SchemaLog(bootstrapServers, topic);
    }

    /** Hands every entry in the topic, oldest first, to the consumers; returns how many. */
    int replay(Consumer<SchemaEntry> schemas, Consumer<ConfigEntry> configs) {
        int count = 0;
        try (var consumer = new KafkaConsumer<>(Map.<String, Object>of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.CLIENT_ID_CONFIG, "cqrs-local-schema-registry-replay-" + topic),
                new StringDeserializer(), new StringDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, TIMEOUT).stream()
                    .map(partition -> new TopicPartition(topic, partition.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, TIMEOUT);
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p, TIMEOUT) < end.get(p))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not read schema topic " + topic + " to its end "
                            + end + " within " + TIMEOUT.toSeconds() + " s");
                }
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    apply(record, schemas, configs);
                    count++;
                }
            }
        }
        return count;
    }

    void append(SchemaEntry entry) {
        ObjectNode key = json.createObjectNode()
                .put("keytype", "SCHEMA").put("subject", entry.subject()).put("version", entry.version()).put("magic", 1);
        ObjectNode value = json.createObjectNode()
                .put("subject", entry.subject()).put("version", entry.version()).put("id", entry.id())
                .put("schema", entry.schema()).put("deleted", false);
        send(key, value, "schema " + entry.id() + " as version " + entry.version() + " of " + entry.subject());
    }

    void append(ConfigEntry entry) {
        ObjectNode key = json.createObjectNode().put("keytype", "CONFIG");
        entry.subject().ifPresentOrElse(subject -> key.put("subject", subject), () -> key.putNull("subject"));
        key.put("magic", 0);
        ObjectNode value = json.createObjectNode().put("compatibilityLevel", entry.level().name());
        send(key, value, "compatibility " + entry.level() + " of " + entry.subject().orElse("the registry"));
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }

    private void send(ObjectNode key, ObjectNode value, String what) {
        try {
            producer.send(new ProducerRecord<>(topic, key.toString(), value.toString()))
                    .get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw RegistryError.storeFailed("could not write " + what + " to topic " + topic, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw RegistryError.storeFailed("interrupted while writing " + what, e);
        }
    }

    private void apply(ConsumerRecord<String, String> record, Consumer<SchemaEntry> schemas,
                       Consumer<ConfigEntry> configs) {
        try {
            JsonNode key = json.readTree(record.key());
            JsonNode value = record.value() == null ? null : json.readTree(record.value());
            switch (key.path("keytype").asText()) {
                case "SCHEMA" -> {
                    if (value != null && !value.path("deleted").asBoolean(false)) {
                        schemas.accept(new SchemaEntry(value.get("subject").asText(), value.get("version").asInt(),
                                value.get("id").asInt(), value.get("schema").asText()));
                    }
                }
                case "CONFIG" -> {
                    Optional<String> subject = key.path("subject").isTextual()
                            ? Optional.of(key.get("subject").asText()) : Optional.empty();
                    if (value != null) {
                        CompatibilityLevel.parse(value.path("compatibilityLevel").asText())
                                .ifPresent(level -> configs.accept(new ConfigEntry(subject, level)));
                    }
                }
                default -> LOG.debug("skipping a {} record at offset {} of {}", key.path("keytype"), record.offset(), topic);
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("skipping an unreadable record at offset {} of schema topic {}: key {}", record.offset(), topic,
                    record.key(), e);
        }
    }

    private static void createTopicIfAbsent(String bootstrapServers, String topic) {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
            NewTopic newTopic = new NewTopic(topic, Optional.of(1), Optional.empty())
                    .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
            admin.createTopics(List.of(newTopic)).all().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            LOG.debug("created compacted schema topic {}", topic);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new IllegalStateException("could not create schema topic " + topic + " at " + bootstrapServers,
                        e.getCause());
            }
        } catch (TimeoutException e) {
            throw new IllegalStateException("Kafka at " + bootstrapServers + " did not create schema topic " + topic
                    + " within " + TIMEOUT.toSeconds() + " s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating schema topic " + topic, e);
        }
    }
}
