package dev.cqrs.projector;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cqrs.codec.kafka.EventRecords;
import dev.cqrs.core.CommandMetadata;
import dev.cqrs.core.EventStore;
import dev.cqrs.core.contract.ContractCodecs;
import dev.cqrs.core.contract.ContractCommand;
import dev.cqrs.core.contract.ContractEvent;
import dev.cqrs.core.contract.CounterAggregate;
import dev.cqrs.core.entity.CompositeEntityStore;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Reactors: commands with idempotency keys derived from the triggering event, and records produced exactly once. */
class ReactorTest {

    private final ProjectorTestSupport support = new ProjectorTestSupport("reactor");

    @AfterEach
    void close() {
        support.close();
    }

    @Test
    void aReactionsEffectHappensOnceWhenItsTriggeringEventIsDeliveredTwice() throws Exception {
        EventStore<ContractEvent> audits = support.store.events("audit", ContractCodecs.events());
        var auditStore = CompositeEntityStore.builder(new CounterAggregate("audit"), audits).retryOnConflict(5).build();
        AtomicInteger deliveries = new AtomicInteger();
        // Typed handlers, as a projection's: only renames reach the reaction; increments are passed by.
        Reactor<ContractEvent> audit = Reactor.reacting("audit-renames", support.topic, ContractCodecs.events())
                .on(ContractEvent.Renamed.class, (event, command) -> {
                    // command: the reactor's idempotency key for this event, the event as cause, its correlation
                    auditStore.execute("audit-" + event.stream().aggregateId(), new ContractCommand.Increment(1), command);
                    deliveries.incrementAndGet(); // counted once the command has run, so the test can look at its effect
                })
                .build();
        try (Projector projector = Projector.builder(support.projectorConfig()).reactor(audit).start()) {
            support.counters.append("x", List.of(new ContractEvent.Renamed("one")), Optional.empty(), CommandMetadata.create());
            support.counters.append("x", List.of(new ContractEvent.Incremented(1)), Optional.empty(), CommandMetadata.create());
            awaitCount(deliveries, 1, "the rename delivered to the reaction");
            redeliver(firstRecordOf(support.topic, "Renamed"));
            awaitCount(deliveries, 2, "the copy of the rename delivered to the reaction");
            support.counters.append("x", List.of(new ContractEvent.Renamed("two")), Optional.empty(), CommandMetadata.create());
            awaitCount(deliveries, 3, "the second rename delivered to the reaction");
            assertThat(deliveries.get()).as("the duplicate was delivered to the reaction").isEqualTo(3);
            var effects = audits.readEvents("audit-x", dev.cqrs.core.Since.beginning());
            assertThat(effects).as("one effect per distinct event").hasSize(2);
            // each effect carries the metadata the reactor filled in: caused by its rename, in the rename's correlation
            var renames = support.counters.readEvents("x", dev.cqrs.core.Since.beginning()).stream()
                    .filter(e -> e.event() instanceof ContractEvent.Renamed).toList();
            assertThat(effects.stream().map(e -> e.metadata().causationId().orElseThrow()).toList())
                    .as("causation ids: the renames' event ids")
                    .containsExactlyElementsOf(renames.stream().map(e -> e.metadata().eventId()).toList());
            assertThat(effects.stream().map(e -> e.metadata().correlationId()).toList())
                    .as("correlation ids: the renames'")
                    .containsExactlyElementsOf(renames.stream().map(e -> e.metadata().correlationId()).toList());
            // every record of the topic: the three renames (one of them the copy) and the increment, passed by
            assertThat(projector.status("audit-renames").processed()).isEqualTo(4);
        }
    }

    @Test
    void aTopicReactionProducesExactlyOneRecordPerEvent() throws Exception {
        String output = support.prefix + ".increments";
        Reactor<ContractEvent> doubler = Reactor.toTopic("doubler", support.topic, ContractCodecs.events(), output,
                event -> event.event() instanceof ContractEvent.Incremented(int by)
                        ? List.of(new Reactor.Output(event.stream().aggregateId(), Integer.toString(by * 2).getBytes(StandardCharsets.UTF_8)))
                        : List.of());
        try (Projector projector = Projector.builder(support.projectorConfig()).reactor(doubler).start()) {
            ProjectorTestSupport.join(support.write(500, 2));
            long expected = support.all().size();
            // Every record the reactor would produce for its input is in once it has committed its consumption of
            // all of it: under exactly-once its output goes in the same Kafka transactions as its offsets. Then
            // the output topic is read to its end, with no transaction pending on it: a second copy would be there.
            support.awaitPublished(Duration.ofSeconds(60));
            try (KafkaOffsets kafka = new KafkaOffsets(ProjectorTestSupport.bootstrap())) {
                List<org.apache.kafka.common.TopicPartition> input = kafka.partitionsOf(List.of(support.topic));
                String group = support.prefix + "-reactor-doubler"; // the reactor's application id
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (!kafka.allConsumed(group, input)) {
                    assertThat(System.nanoTime()).as("the reactor commits its consumption of every input record in time")
                            .isLessThan(deadline);
                    Thread.sleep(20);
                }
            }
            List<ConsumerRecord<String, byte[]>> produced = consumeToTheEnd(output, Duration.ofSeconds(60));
            assertThat(produced).hasSize((int) expected);
            long sum = produced.stream().mapToLong(r -> Long.parseLong(new String(r.value(), StandardCharsets.UTF_8))).sum();
            long doubledTotal = 2 * support.foldOfTheStore().values().stream().mapToLong(ProjectorTestSupport.Counter::total).sum();
            assertThat(sum).isEqualTo(doubledTotal);
        }
    }

    private static void awaitCount(AtomicInteger counter, int count, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (counter.get() < count) {
            assertThat(System.nanoTime()).as("in time: %s (%d of %d)", what, counter.get(), count).isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    private ConsumerRecord<String, byte[]> firstRecordOf(String topic, String eventType) {
        java.util.function.Predicate<ConsumerRecord<String, byte[]>> wanted = r -> EventRecords.fromRecord(r).eventType().equals(eventType);
        List<ConsumerRecord<String, byte[]>> read = consume(topic, records -> records.stream().anyMatch(wanted), Duration.ofSeconds(30));
        return read.stream().filter(wanted).findFirst()
                .orElseThrow(() -> new AssertionError("no " + eventType + " record on " + topic + " within 30 s"));
    }

    private void redeliver(ConsumerRecord<String, byte[]> record) {
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                ProjectorTestSupport.bootstrap()), new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(record.topic(), record.partition(), record.key(), record.value(), record.headers()));
            producer.flush();
        }
    }

    /** Reads {@code topic} from the beginning with read_committed until {@code done} holds of what was read, or {@code timeout}. */
    private List<ConsumerRecord<String, byte[]>> consume(String topic, java.util.function.Predicate<List<ConsumerRecord<String, byte[]>>> done,
                                                         Duration timeout) {
        List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = consumer("read_committed")) {
            consumer.assign(partitionsOf(consumer, topic));
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!done.test(records) && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
        }
        return records;
    }

    /**
     * Every committed record of {@code topic}, once no transaction is pending on it: read with read_committed
     * up to its last stable offset, which must equal its high watermark (else read again).
     */
    private List<ConsumerRecord<String, byte[]>> consumeToTheEnd(String topic, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (KafkaConsumer<String, byte[]> committed = consumer("read_committed"); KafkaConsumer<String, byte[]> any = consumer("read_uncommitted")) {
            List<org.apache.kafka.common.TopicPartition> partitions = partitionsOf(committed, topic);
            committed.assign(partitions);
            while (true) {
                Map<org.apache.kafka.common.TopicPartition, Long> high = any.endOffsets(partitions);
                Map<org.apache.kafka.common.TopicPartition, Long> stable = committed.endOffsets(partitions);
                if (stable.equals(high)) {
                    List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
                    committed.seekToBeginning(partitions);
                    while (partitions.stream().anyMatch(p -> committed.position(p) < stable.get(p))) {
                        assertThat(System.nanoTime()).as("%s read to its end in time", topic).isLessThan(deadline);
                        committed.poll(Duration.ofMillis(200)).forEach(records::add);
                    }
                    return records;
                }
                assertThat(System.nanoTime()).as("no transaction pending on %s in time (stable %s, high %s)", topic, stable, high)
                        .isLessThan(deadline);
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError("interrupted", e);
                }
            }
        }
    }

    private static KafkaConsumer<String, byte[]> consumer(String isolation) {
        Map<String, Object> config = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, ProjectorTestSupport.bootstrap(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest", ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
        return new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer());
    }

    private static List<org.apache.kafka.common.TopicPartition> partitionsOf(KafkaConsumer<String, byte[]> consumer, String topic) {
        return consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                .map(info -> new org.apache.kafka.common.TopicPartition(topic, info.partition())).toList();
    }

}
