package dev.cqrs.embedded.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KafkaBrokerTest {

    private final KafkaBroker broker = KafkaBroker.shared();

    @Test
    void readCommittedConsumerSeesCommittedTransactionsOnly() throws Exception {
        String topic = KafkaBroker.uniqueTopic("transactions");
        broker.createTopic(topic, 1);

        try (var producer = transactionalProducer(broker.bootstrapServers(), topic)) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, "todo-1", "committed-1"));
            producer.send(new ProducerRecord<>(topic, "todo-1", "committed-2"));
            producer.commitTransaction();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, "todo-2", "aborted")).get(10, TimeUnit.SECONDS);
            producer.abortTransaction();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, "todo-3", "committed-3"));
            producer.commitTransaction();
        }

        assertThat(consumeValues(broker.bootstrapServers(), topic, "read_committed", 3))
                .containsExactly("committed-1", "committed-2", "committed-3");
    }

    @Test
    void abortedTransactionStaysInvisibleAlthoughItsRecordsAreInTheLog() throws Exception {
        String topic = KafkaBroker.uniqueTopic("aborted");
        broker.createTopic(topic, 1);

        try (var producer = transactionalProducer(broker.bootstrapServers(), topic)) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, "todo-1", "aborted-1"));
            producer.send(new ProducerRecord<>(topic, "todo-1", "aborted-2")).get(10, TimeUnit.SECONDS);
            producer.abortTransaction();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, "todo-1", "committed"));
            producer.commitTransaction();
        }

        assertThat(consumeValues(broker.bootstrapServers(), topic, "read_committed", 1))
                .containsExactly("committed");
        assertThat(consumeValues(broker.bootstrapServers(), topic, "read_uncommitted", 3))
                .containsExactly("aborted-1", "aborted-2", "committed");
    }

    @Test
    void createTopicMakesTheAskedPartitions() throws Exception {
        String topic = KafkaBroker.uniqueTopic("partitioned");

        broker.createTopic(topic, 3);

        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
            var description = admin.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic);
            assertThat(description.partitions()).hasSize(3);
        }
    }

    @Test
    void aTopicMadeWithSettingsOfItsOwnHasThemAndADeletedOneIsGone() throws Exception {
        String topic = KafkaBroker.uniqueTopic("kept");

        broker.createTopic(topic, 2, Map.of("retention.ms", "-1", "cleanup.policy", "delete"));

        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
            var resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            var config = admin.describeConfigs(List.of(resource)).all().get(10, TimeUnit.SECONDS).get(resource);
            assertThat(config.get("retention.ms").value()).isEqualTo("-1");
            assertThat(admin.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS)
                    .get(topic).partitions()).hasSize(2);

            broker.deleteTopics(List.of(topic, KafkaBroker.uniqueTopic("never-made")));

            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (admin.listTopics().names().get(10, TimeUnit.SECONDS).contains(topic)) {
                assertThat(System.nanoTime()).as("the deleted topic is still listed after 20 s").isLessThan(deadline);
                Thread.sleep(50);
            }
        }
    }

    @Test
    void uniqueTopicNamesAreDistinctAndLegal() {
        Set<String> names = new HashSet<>();
        for (int i = 0; i < 1_000; i++) {
            names.add(KafkaBroker.uniqueTopic("todo.events/v1"));
        }

        assertThat(names).hasSize(1_000).allSatisfy(name -> assertThat(name).matches("todo-events-v1-[0-9]+-[0-9a-f]{8}"));
        assertThat(KafkaBroker.uniqueTopic("x".repeat(300))).hasSizeLessThanOrEqualTo(249);
    }

    @Test
    void externalBrokerFromTheEnvironmentIsUsedAsItIs() {
        assertThat(ExternalKafkaBroker.fromEnvironment(Map.of())).isEmpty();
        KafkaBroker external = ExternalKafkaBroker.fromEnvironment(
                Map.of("CQRS_KAFKA_BOOTSTRAP", broker.bootstrapServers())).orElseThrow();
        String topic = KafkaBroker.uniqueTopic("external");

        external.createTopic(topic, 1);
        external.close(); // not ours: must leave the broker running

        assertThat(external.bootstrapServers()).isEqualTo(broker.bootstrapServers());
        assertThat(consumeValues(broker.bootstrapServers(), topic, "read_committed", 0)).isEmpty();
    }

    @Test
    void brokerOnAKeptDataDirectoryFindsItsRecordsAgain(@TempDir Path directory) throws Exception {
        KafkaOptions options = KafkaOptions.temporary().withDataDirectory(directory);
        String topic = KafkaBroker.uniqueTopic("kept");
        try (KafkaBroker first = KafkaBroker.start(options);
             var producer = new KafkaProducer<>(Map.<String, Object>of(
                     ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, first.bootstrapServers(),
                     ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new StringSerializer())) {
            first.createTopic(topic, 1);
            producer.send(new ProducerRecord<>(topic, "todo-1", "written in the first run")).get(10, TimeUnit.SECONDS);
        }

        try (KafkaBroker second = KafkaBroker.start(options)) {
            assertThat(consumeValues(second.bootstrapServers(), topic, "read_committed", 1))
                    .containsExactly("written in the first run");
        }
    }

    static KafkaProducer<String, String> transactionalProducer(String bootstrapServers, String topic) {
        return new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, "tx-" + topic,
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new StringSerializer());
    }

    /**
     * Reads {@code topic} from the beginning until {@code expected} values have come and the
     * consumer has reached the end of the log (so that an extra record would be seen too).
     */
    static List<String> consumeValues(String bootstrapServers, String topic, String isolationLevel, int expected) {
        List<String> values = new ArrayList<>();
        try (var consumer = new KafkaConsumer<>(Map.<String, Object>of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolationLevel,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(), new StringDeserializer())) {
            var partitions = consumer.partitionsFor(topic, Duration.ofSeconds(10)).stream()
                    .map(info -> new org.apache.kafka.common.TopicPartition(topic, info.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    values.add(record.value());
                }
                var end = consumer.endOffsets(partitions);
                boolean atEnd = partitions.stream().allMatch(p -> consumer.position(p) >= end.get(p));
                if (values.size() >= expected && atEnd) {
                    break;
                }
            }
        }
        return values;
    }
}
