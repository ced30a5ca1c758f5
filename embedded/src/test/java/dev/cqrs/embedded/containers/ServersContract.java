package dev.cqrs.embedded.containers;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cqrs.embedded.kafka.KafkaBroker;
import dev.cqrs.embedded.postgres.PostgresServer;
import dev.cqrs.embedded.postgres.TestDatabase;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * What the project's tests need of a backend's three servers, run against each backend: a
 * PostgreSQL 17 that makes fresh databases, a Kafka broker with transactions (read_committed), and
 * a registry that speaks Confluent's REST API and checks compatibility.
 */
abstract class ServersContract {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    abstract PostgresServer postgres();

    abstract KafkaBroker kafka();

    abstract String registryUrl();

    @Test
    void postgresIsVersion17AndMakesAFreshDatabasePerCall() throws Exception {
        TestDatabase first = postgres().createDatabase(getClass().getSimpleName());
        TestDatabase second = postgres().createDatabase(getClass().getSimpleName());
        assertThat(first.name()).isNotEqualTo(second.name());
        try (Connection connection = first.dataSource().getConnection();
             Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE t (id int PRIMARY KEY)");
            try (ResultSet version = statement.executeQuery("SHOW server_version")) {
                version.next();
                assertThat(version.getString(1)).startsWith("17.");
            }
        }
        try (Connection connection = second.dataSource().getConnection();
             Statement statement = connection.createStatement();
             ResultSet tables = statement.executeQuery(
                     "SELECT count(*) FROM information_schema.tables WHERE table_name = 't'")) {
            tables.next();
            assertThat(tables.getInt(1)).as("the second database is empty").isZero();
        }
    }

    @Test
    void kafkaShowsCommittedTransactionsOnlyToReadCommittedConsumers() throws Exception {
        String topic = KafkaBroker.uniqueTopic("contract");
        kafka().createTopic(topic, 1);
        try (var producer = new KafkaProducer<>(Map.<String, Object>of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka().bootstrapServers(),
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, "contract-" + UUID.randomUUID()),
                new StringSerializer(), new StringSerializer())) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, "a", "aborted")).get(10, TimeUnit.SECONDS);
            producer.abortTransaction();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, "a", "committed"));
            producer.commitTransaction();
        }
        try (var consumer = new KafkaConsumer<>(Map.<String, Object>of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka().bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                new StringDeserializer(), new StringDeserializer())) {
            var partition = new org.apache.kafka.common.TopicPartition(topic, 0);
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            List<String> values = new ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            // Read up to the end (the commit marker included), not merely until one value arrived.
            while (consumer.position(partition) < consumer.endOffsets(List.of(partition)).get(partition)) {
                assertThat(System.nanoTime()).as("read %s to its end within 30 s; got %s", topic, values)
                        .isLessThan(deadline);
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    values.add(record.value());
                }
            }
            assertThat(values).containsExactly("committed");
        }
    }

    @Test
    void registryRegistersServesAndRefusesAnIncompatibleSchema() throws Exception {
        String subject = "contract.Created" + UUID.randomUUID().toString().replace("-", "");
        String v1 = "{\"type\":\"record\",\"name\":\"Created\",\"namespace\":\"contract\",\"fields\":"
                + "[{\"name\":\"description\",\"type\":\"string\"}]}";
        String incompatible = "{\"type\":\"record\",\"name\":\"Created\",\"namespace\":\"contract\",\"fields\":"
                + "[{\"name\":\"description\",\"type\":\"string\"},{\"name\":\"due\",\"type\":\"long\"}]}";

        HttpResponse<String> registered = post("/subjects/" + encode(subject) + "/versions", v1);
        assertThat(registered.statusCode()).as(registered.body()).isEqualTo(200);
        int id = JSON.readTree(registered.body()).get("id").asInt();

        HttpResponse<String> byId = HTTP.send(HttpRequest.newBuilder(URI.create(registryUrl() + "/schemas/ids/" + id))
                .GET().build(), HttpResponse.BodyHandlers.ofString());
        JsonNode schema = JSON.readTree(JSON.readTree(byId.body()).get("schema").asText());
        assertThat(schema.get("name").asText()).isEqualTo("Created");

        HttpResponse<String> refused = post("/subjects/" + encode(subject) + "/versions", incompatible);
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(409);
    }

    private HttpResponse<String> post(String path, String schema) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(registryUrl() + path))
                .header("Content-Type", "application/vnd.schemaregistry.v1+json")
                .timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString(JSON.createObjectNode().put("schema", schema).toString()))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String encode(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
