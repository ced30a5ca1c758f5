package dev.cqrs.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cqrs.core.RawEvent;
import dev.cqrs.embedded.kafka.KafkaBrokerProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The broker (a process of its own) is down for 20 seconds while appends go on. */
class BrokerOutageTest {

    private final RelayTestSupport support = new RelayTestSupport("outage");

    @TempDir
    Path brokerData;

    @AfterEach
    void close() {
        support.close();
    }

    @Test
    void appendsGoOnWhileTheBrokerIsDownAndTheBacklogDrainsExactlyOnceWhenItReturns() throws Exception {
        try (KafkaBrokerProcess broker = KafkaBrokerProcess.start(brokerData)) {
            String bootstrap = broker.bootstrapServers();
            try (Relay relay = Relay.start(support.store, support.relayConfig(bootstrap))) {
                Thread[] writers = support.writeFor(Duration.ofSeconds(30), 2);
                long started = System.nanoTime();
                while (relay.status().eventsPublished() == 0) {
                    assertThat(System.nanoTime() - started).as("the relay publishes before the outage")
                            .isLessThan(Duration.ofSeconds(20).toNanos());
                    Thread.sleep(50);
                }
                long publishedBefore = relay.status().eventsPublished();
                broker.kill();
                Thread.sleep(20_000);
                long storedDuringOutage = support.all().size();
                broker.restart();
                RelayTestSupport.join(writers);
                List<RawEvent> stored = support.all();
                Published seen = Published.settled(bootstrap, support.topics(), stored.size(), Duration.ofSeconds(120));
                assertThat(publishedBefore).as("published before the outage").isPositive();
                assertThat(support.writeErrors()).as("appends that failed while the broker was down").isZero();
                assertThat(relay.status().errors()).as("the relay noticed the outage").isPositive();
                seen.assertExactlyOnceInOrder(stored);
                System.out.printf("broker outage: %d events stored by the end of the 20 s outage, %d in all, published exactly once;"
                        + " the relay recovered from %d errors%n", storedDuringOutage, stored.size(), relay.status().errors());
            }
        }
    }

    /**
     * A relay dies in the middle of a transaction, with records on the event topics, and the broker dies with
     * it and comes back without its transaction state (what Kafka's hanging-transaction bugs leave: partitions
     * with a transaction open that no coordinator knows). Every read_committed consumer of those partitions
     * would wait forever; the next leader must find the transaction on the event topics, not only on its
     * checkpoint partition, and abort it, since no coordinator tracks it any more.
     */
    @Test
    void aTransactionLeftHangingOnTheEventTopicsIsAbortedByTheNextLeader() throws Exception {
        try (KafkaBrokerProcess broker = KafkaBrokerProcess.start(brokerData)) {
            String bootstrap = broker.bootstrapServers();
            RelayTestSupport.join(support.write(300, 2));
            try (Relay first = Relay.start(support.store, support.relayConfig(bootstrap))) {
                List<RawEvent> stored = support.all();
                Published.settled(bootstrap, support.topics(), stored.size(), Duration.ofSeconds(60));
            }
            RelayTestSupport.join(support.write(300, 2));
            // The relay's producer dies with a transaction open: its records reached the event partitions, its
            // commit never came.
            String topic = support.prefix + "." + support.aggregateType;
            try (KafkaProducer<String, byte[]> dying = new KafkaProducer<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                    ProducerConfig.TRANSACTIONAL_ID_CONFIG, RelayConfig.transactionalId(support.prefix),
                    ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 600_000), new StringSerializer(), new ByteArraySerializer())) {
                dying.initTransactions();
                dying.beginTransaction();
                for (RawEvent event : support.all().subList(0, 50)) {
                    dying.send(dev.cqrs.codec.kafka.EventRecords.toRecord(topic, event));
                }
                dying.flush();
                assertThat(openTransactions(bootstrap)).as("the dying relay's transaction is open on the event topics").isPositive();
                broker.kill();
                dying.close(Duration.ZERO);
            }

            try (Stream<Path> logs = Files.list(broker.dataDirectory().resolve("kafka-logs"))) {
                for (Path dir : logs.filter(p -> p.getFileName().toString().startsWith("__transaction_state-")).toList()) {
                    try (Stream<Path> files = Files.walk(dir)) {
                        files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
                    }
                }
            }
            broker.restart();

            try (Relay next = Relay.start(support.store, support.relayConfig(bootstrap))) {
                long settle = System.nanoTime() + Duration.ofSeconds(90).toNanos();
                while (openTransactions(bootstrap) > 0) {
                    assertThat(System.nanoTime()).as("no transaction stays open on the event topics").isLessThan(settle);
                    Thread.sleep(200);
                }
                List<RawEvent> stored = support.all();
                Published.settled(bootstrap, support.topics(), stored.size(), Duration.ofSeconds(90)).assertExactlyOnceInOrder(stored);
                assertThat(next.status().errors()).as("the abort was counted").isPositive();
            }
        }
    }

    /** Transactions open now on the partitions of the test's event topics. */
    private long openTransactions(String bootstrap) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            String topic = support.prefix + "." + support.aggregateType;
            List<TopicPartition> partitions = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions()
                    .stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            return admin.describeProducers(partitions).all().get().values().stream()
                    .flatMap(d -> d.activeProducers().stream())
                    .filter(p -> p.currentTransactionStartOffset().isPresent()).count();
        }
    }
}
