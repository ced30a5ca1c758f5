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
import dev.cqrs.core.reaction.Reaction;
import dev.cqrs.core.reaction.ReactionEvent;
import dev.cqrs.core.reaction.ReactionPredicate;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
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
        Reaction<ContractEvent> audit = new Reaction<>() {
            @Override
            public String name() {
                return "audit-renames";
            }

            @Override
            public ReactionPredicate predicate() {
                return ReactionPredicate.aggregate("counter").withEventTypes("Renamed");
            }

            @Override
            public void react(ReactionEvent<ContractEvent> event) {
                auditStore.execute("audit-" + event.stream().aggregateId(), new ContractCommand.Increment(1),
                        CommandMetadata.create().withIdempotencyKey(event.idempotencyKey(name()))
                                .withCausationId(event.metadata().eventId()));
                deliveries.incrementAndGet(); // counted once the command has run, so the test can look at its effect
            }
        };
        try (Projector projector = Projector.builder(support.projectorConfig())
                .reactor(Reactor.commands(support.topic, ContractCodecs.events(), audit)).start()) {
            support.counters.append("x", List.of(new ContractEvent.Renamed("one")), Optional.empty(), CommandMetadata.create());
            support.counters.append("x", List.of(new ContractEvent.Incremented(1)), Optional.empty(), CommandMetadata.create());
            awaitCount(deliveries, 1);
            redeliver(firstRecordOf(support.topic, "Renamed"));
            awaitCount(deliveries, 2);
            support.counters.append("x", List.of(new ContractEvent.Renamed("two")), Optional.empty(), CommandMetadata.create());
            awaitCount(deliveries, 3);
            assertThat(deliveries.get()).as("the duplicate was delivered to the reaction").isEqualTo(3);
            assertThat(audits.readEvents("audit-x", dev.cqrs.core.Since.beginning())).as("one effect per distinct event").hasSize(2);
            assertThat(projector.status("audit-renames").processed()).isEqualTo(3);
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
            List<ConsumerRecord<String, byte[]>> produced = consume(output, expected, Duration.ofSeconds(60));
            Thread.sleep(1_000);
            produced = consume(output, Long.MAX_VALUE, Duration.ofSeconds(3));
            assertThat(produced).hasSize((int) expected);
            long sum = produced.stream().mapToLong(r -> Long.parseLong(new String(r.value(), StandardCharsets.UTF_8))).sum();
            long doubledTotal = 2 * support.foldOfTheStore().values().stream().mapToLong(ProjectorTestSupport.Counter::total).sum();
            assertThat(sum).isEqualTo(doubledTotal);
        }
    }

    private static void awaitCount(AtomicInteger counter, int count) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (counter.get() < count && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(counter.get()).isGreaterThanOrEqualTo(count);
    }

    private ConsumerRecord<String, byte[]> firstRecordOf(String topic, String eventType) {
        return consume(topic, Long.MAX_VALUE, Duration.ofSeconds(3)).stream()
                .filter(r -> EventRecords.fromRecord(r).eventType().equals(eventType)).findFirst().orElseThrow();
    }

    private void redeliver(ConsumerRecord<String, byte[]> record) {
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                ProjectorTestSupport.bootstrap()), new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(record.topic(), record.partition(), record.key(), record.value(), record.headers()));
            producer.flush();
        }
    }

    private List<ConsumerRecord<String, byte[]>> consume(String topic, long until, Duration timeout) {
        Map<String, Object> config = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, ProjectorTestSupport.bootstrap(),
                ConsumerConfig.GROUP_ID_CONFIG, "check-" + UUID.randomUUID(), ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + timeout.toNanos();
            while (records.size() < until && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
        }
        return records;
    }

}
