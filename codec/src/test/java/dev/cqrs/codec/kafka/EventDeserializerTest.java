package dev.cqrs.codec.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cqrs.codec.avro.AvroEventCodec;
import dev.cqrs.codec.json.JsonEventCodec;
import dev.cqrs.codec.registry.SchemaRegistryClient;
import dev.cqrs.core.EventMetadata;
import dev.cqrs.core.EventNumber;
import dev.cqrs.core.RawEvent;
import dev.cqrs.core.StreamId;
import dev.cqrs.core.codec.CodecException;
import dev.cqrs.core.codec.EncodedEvent;
import dev.cqrs.test.CqrsServers;
import dev.cqrs.test.CqrsTest;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A plain {@code KafkaConsumer} in another service decodes an event topic by configuration alone:
 * records written exactly as the relay writes them ({@link EventRecords#toRecord}), read through
 * the real registry.
 */
@CqrsTest
class EventDeserializerTest {

    private final CqrsServers servers;
    /** The aggregate type, and so the Avro namespace: a new one per test, hence new subjects. */
    private final String aggregateType = "account_" + UUID.randomUUID().toString().substring(0, 8);
    private final SchemaRegistryClient registry;
    private final AvroEventCodec<AccountEvent> avro;

    EventDeserializerTest(CqrsServers servers) {
        this.servers = servers;
        registry = SchemaRegistryClient.builder(servers.schemaRegistryUrl()).build();
        avro = AvroEventCodec.builder(AccountEvent.class, aggregateType, registry).build();
    }

    @AfterEach
    void close() {
        registry.close();
    }

    @Test
    void aConsumerConfiguredByPropertiesDecodesAvroAndJsonEventsWithTheirHeaders() {
        String topic = servers.createTopic("events." + aggregateType, 1);
        RawEvent opened = event(1, avro.encode(new AccountEvent.Opened("ada", Optional.of("EUR"))));
        RawEvent deposited = event(2, avro.encode(new AccountEvent.Deposited(2_500)));
        RawEvent closed = event(3, JsonEventCodec.of(AccountEvent.class).encode(new AccountEvent.Closed()));
        publish(topic, List.of(opened, deposited, closed));

        Properties config = consumerConfig();
        config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, EventDeserializer.class.getName());
        config.put(EventDeserializer.EVENTS_CLASS_CONFIG, AccountEvent.class.getName());
        config.put(EventDeserializer.SCHEMA_REGISTRY_URL_CONFIG, servers.schemaRegistryUrl());
        List<ConsumerRecord<String, PublishedEvent<AccountEvent>>> records = consume(config, topic, 3);

        assertThat(records).extracting(ConsumerRecord::key).containsOnly("acct-1");
        assertThat(records).extracting(record -> record.value().event()).containsExactly(
                new AccountEvent.Opened("ada", Optional.of("EUR")), new AccountEvent.Deposited(2_500),
                new AccountEvent.Closed());
        PublishedEvent<AccountEvent> first = records.getFirst().value();
        assertThat(first.aggregateType()).isEqualTo(aggregateType);
        assertThat(first.sequence()).isEqualTo(1);
        assertThat(first.globalPosition()).isEqualTo(opened.globalPosition());
        assertThat(first.eventType()).isEqualTo("Opened");
        assertThat(first.contentType()).isEqualTo(AvroEventCodec.CONTENT_TYPE);
        assertThat(first.metadata()).isEqualTo(opened.metadata());
        assertThat(records.getLast().value().contentType()).isEqualTo(JsonEventCodec.CONTENT_TYPE);
    }

    @Test
    void theRawDeserializerNeedsNoRegistryAndGivesThePayloadAsStored() {
        String topic = servers.createTopic("raw." + aggregateType, 1);
        RawEvent deposited = event(7, avro.encode(new AccountEvent.Deposited(10)));
        publish(topic, List.of(deposited));

        Properties config = consumerConfig();
        config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, RawEventDeserializer.class.getName());
        PublishedEvent<byte[]> raw = this.<byte[]>consume(config, topic, 1).getFirst().value();

        assertThat(raw.event()).isEqualTo(deposited.payload());
        assertThat(raw.event()[0]).as("Confluent's magic byte").isZero();
        assertThat(raw.sequence()).isEqualTo(7);
        assertThat(raw.metadata()).isEqualTo(deposited.metadata());
    }

    @Test
    void theSerdeWritesWhatItReadsBackTheSameForKafkaStreams() {
        EventSerde<AccountEvent> serde = EventSerde.typed(AccountEvent.class, aggregateType, registry, avro);
        PublishedEvent<AccountEvent> event = new PublishedEvent<>(aggregateType, 4, 123_456L, "Deposited",
                AvroEventCodec.CONTENT_TYPE, metadata(), new AccountEvent.Deposited(99));
        RecordHeaders headers = new RecordHeaders();
        headers.add("cqrs-sequence", "1".getBytes());
        headers.add("traceparent", "00-abc".getBytes());

        byte[] bytes = serde.serializer().serialize("copy", headers, event);

        assertThat(serde.deserializer().deserialize("copy", headers, bytes)).isEqualTo(event);
        assertThat(headers.headers("cqrs-sequence")).as("a stale header is replaced, not repeated").hasSize(1);
        assertThat(headers.lastHeader("traceparent")).as("foreign headers stay").isNotNull();
        PublishedEvent<byte[]> raw = EventSerde.raw().deserializer().deserialize("copy", headers, bytes);
        assertThat(EventSerde.raw().serializer().serialize("copy", new RecordHeaders(), raw)).isEqualTo(bytes);
    }

    @Test
    void aRecordThatTheRelayDidNotWriteIsRefusedNamingTheTopicAndTheMissingHeader() {
        RecordHeaders headers = new RecordHeaders();
        headers.add(EventRecords.EVENT_TYPE, "Deposited".getBytes());
        EventDeserializer<AccountEvent> deserializer = new EventDeserializer<>(AccountEvent.class, aggregateType, registry);

        assertThatThrownBy(() -> deserializer.deserialize("events.account", headers, new byte[] {0, 0, 0, 0, 1}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("a record of events.account is not an event published by the relay")
                .hasMessageContaining("header cqrs-event-id is missing");
        assertThatThrownBy(() -> deserializer.deserialize("events.account", new byte[] {0}))
                .hasMessageContaining("came without headers");
    }

    @Test
    void aPayloadThatDoesNotDecodeNamesTheTopicTheEventAndTheReason() {
        EncodedEvent corrupt = new EncodedEvent("Deposited", AvroEventCodec.CONTENT_TYPE, new byte[] {1, 2, 3, 4, 5, 6});
        RecordHeaders headers = new RecordHeaders();
        EventRecords.toRecord("t", event(1, corrupt)).headers().forEach(headers::add);
        EventDeserializer<AccountEvent> deserializer = new EventDeserializer<>(AccountEvent.class, aggregateType, registry);

        assertThatThrownBy(() -> deserializer.deserialize("events.account", headers, corrupt.payload()))
                .isInstanceOf(CodecException.class)
                .hasMessageContaining("of topic events.account as " + AccountEvent.class.getName())
                .hasMessageContaining("magic byte");
    }

    @Test
    void aMisconfiguredDeserializerSaysWhichSettingIsWrong() {
        assertThatThrownBy(() -> new EventDeserializer<>().configure(Map.of(), false))
                .isInstanceOf(ConfigException.class).hasMessageContaining("cqrs.events.class must name");
        assertThatThrownBy(() -> new EventDeserializer<>().configure(
                Map.of(EventDeserializer.EVENTS_CLASS_CONFIG, "java.lang.String"), false))
                .isInstanceOf(ConfigException.class).hasMessageContaining("must be a sealed interface that extends");
        assertThatThrownBy(() -> new EventDeserializer<>().configure(
                Map.of(EventDeserializer.EVENTS_CLASS_CONFIG, AccountEvent.class.getName()), true))
                .isInstanceOf(ConfigException.class).hasMessageContaining("its keys are the aggregate ids");

        var noRegistry = new EventDeserializer<AccountEvent>();
        noRegistry.configure(Map.of(EventDeserializer.EVENTS_CLASS_CONFIG, AccountEvent.class.getName()), false);
        RecordHeaders headers = new RecordHeaders();
        EncodedEvent encoded = avro.encode(new AccountEvent.Closed());
        EventRecords.toRecord("t", event(1, encoded)).headers().forEach(headers::add);
        assertThatThrownBy(() -> noRegistry.deserialize("t", headers, encoded.payload()))
                .isInstanceOf(CodecException.class).hasMessageContaining("needs the schema registry: set schema.registry.url");
    }

    private RawEvent event(long sequence, EncodedEvent encoded) {
        return new RawEvent(1_000 * sequence + 17, StreamId.of(aggregateType, "acct-1"), EventNumber.of(sequence),
                encoded.eventType(), encoded.contentType(), encoded.payload(), metadata());
    }

    private static EventMetadata metadata() {
        return new EventMetadata(UUID.randomUUID(), UUID.randomUUID(), Optional.of(UUID.randomUUID()),
                Optional.of("ada"), Instant.now().truncatedTo(ChronoUnit.MILLIS), Map.of("channel", "web"));
    }

    private void publish(String topic, List<RawEvent> events) {
        try (var producer = new KafkaProducer<>(Map.<String, Object>of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, servers.bootstrapServers(),
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, "relay-like-" + UUID.randomUUID()),
                new StringSerializer(), new ByteArraySerializer())) {
            producer.initTransactions();
            producer.beginTransaction();
            events.forEach(event -> producer.send(EventRecords.toRecord(topic, event)));
            producer.commitTransaction();
        }
    }

    private Properties consumerConfig() {
        Properties config = new Properties();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, servers.bootstrapServers());
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, "org.apache.kafka.common.serialization.StringDeserializer");
        return config;
    }

    private <T> List<ConsumerRecord<String, PublishedEvent<T>>> consume(Properties config, String topic, int count) {
        try (KafkaConsumer<String, PublishedEvent<T>> consumer = new KafkaConsumer<>(config)) {
            TopicPartition partition = new TopicPartition(topic, 0);
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            List<ConsumerRecord<String, PublishedEvent<T>>> records = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (records.size() < count) {
                assertThat(System.nanoTime()).as("%d records of %s within 30 s, got %s", count, topic, records)
                        .isLessThan(deadline);
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
            return records;
        }
    }
}
