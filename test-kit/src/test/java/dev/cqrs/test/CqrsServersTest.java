package dev.cqrs.test;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** The idiom of the test kit, and what it promises: see README, "Testing a service built on cqrs". */
@CqrsTest
class CqrsServersTest {

    private final CqrsServers servers;

    CqrsServersTest(CqrsServers servers) {
        this.servers = servers;
    }

    @Test
    void theClassGetsAnEmptyPostgreSql17DatabaseNamedAfterIt() throws Exception {
        assertThat(servers.database().name()).startsWith("cqrsserverstest_");
        try (Connection connection = servers.dataSource().getConnection();
             Statement statement = connection.createStatement()) {
            try (ResultSet version = statement.executeQuery("SHOW server_version")) {
                version.next();
                assertThat(version.getString(1)).startsWith("17.");
            }
            try (ResultSet tables = statement.executeQuery(
                    "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")) {
                tables.next();
                assertThat(tables.getInt(1)).isZero();
            }
        }
    }

    @Test
    void everyTestOfTheClassGetsTheSameServers(CqrsServers parameter) {
        assertThat(parameter).isSameAs(servers);
    }

    @Test
    void topicsCarryTheClassPrefixAndCarryRecords() throws Exception {
        String topic = servers.createTopic("greetings", 1);
        assertThat(topic).startsWith(servers.topicPrefix()).endsWith("greetings");
        try (var producer = new KafkaProducer<>(Map.<String, Object>of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, servers.bootstrapServers()),
                new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>(topic, "k", "hello")).get();
        }
        try (var consumer = new KafkaConsumer<>(Map.<String, Object>of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, servers.bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                new StringDeserializer(), new StringDeserializer())) {
            TopicPartition partition = new TopicPartition(topic, 0);
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            List<String> values = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (values.isEmpty()) {
                assertThat(System.nanoTime()).as("a record of %s within 30 s", topic).isLessThan(deadline);
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    values.add(record.value());
                }
            }
            assertThat(values).containsExactly("hello");
        }
    }

    @Test
    void theRegistrySpeaksConfluentsRestApi() throws Exception {
        String subject = "kit.Greeted" + UUID.randomUUID().toString().replace("-", "");
        HttpResponse<String> registered = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create(servers.schemaRegistryUrl() + "/subjects/" + subject + "/versions"))
                .header("Content-Type", "application/vnd.schemaregistry.v1+json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"schema\": \"\\\"string\\\"\"}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(registered.statusCode()).as(registered.body()).isEqualTo(200);
        assertThat(registered.body()).matches("\\{\"id\":\\d+}");
    }
}
