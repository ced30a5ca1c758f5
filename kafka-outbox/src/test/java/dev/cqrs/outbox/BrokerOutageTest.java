package dev.cqrs.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.cqrs.core.RawEvent;
import dev.cqrs.embedded.kafka.KafkaBrokerProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
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
import org.slf4j.LoggerFactory;

/** The broker, a process of its own, killed while the relay publishes. */
class BrokerOutageTest {

    /** The relay's Kafka call timeout in the outage test (10 s by default): the outage outlasts it. */
    private static final int KAFKA_TIMEOUT_MS = 4_000;
    /** The relay's transaction timeout in the outage test (20 s by default): the outage outlasts it. */
    private static final int TRANSACTION_TIMEOUT_MS = 4_000;

    private final RelayTestSupport support = new RelayTestSupport("outage");

    @TempDir
    Path brokerData;

    @AfterEach
    void close() {
        support.close();
    }

    /**
     * The broker is killed while the relay publishes, and stays down past {@code relay.kafka.timeout.ms} (a
     * Kafka call of the relay's fails) and {@code relay.transaction.timeout.ms} (the transaction it had open at
     * the kill has timed out), both shortened here so that an outage past both is short, and until the relay has
     * counted an error (at most two more Kafka timeouts). Appends go on meanwhile; once the broker is back the
     * backlog drains, each event exactly once.
     */
    @Test
    void appendsGoOnWhileTheBrokerIsDownAndTheBacklogDrainsExactlyOnceWhenItReturns() throws Exception {
        try (KafkaBrokerProcess broker = KafkaBrokerProcess.start(brokerData)) {
            String bootstrap = broker.bootstrapServers();
            Map<String, Object> settings = support.relaySettings(bootstrap);
            settings.put(RelayConfig.KAFKA_TIMEOUT_MS, KAFKA_TIMEOUT_MS);
            settings.put(RelayConfig.TRANSACTION_TIMEOUT_MS, TRANSACTION_TIMEOUT_MS);
            Duration outageAtLeast = Duration.ofMillis(Math.max(KAFKA_TIMEOUT_MS, TRANSACTION_TIMEOUT_MS));
            AtomicBoolean done = new AtomicBoolean();
            try (Relay relay = Relay.start(support.store, new RelayConfig(settings))) {
                Thread[] writers = support.writeWhile(() -> !done.get(), 2);
                await(() -> relay.status().eventsPublished() > 0, "the relay publishes before the outage");
                long publishedBefore = relay.status().eventsPublished();
                long errorsBefore = relay.status().errors();
                long storedAtKill = support.store.globalLog().headPosition();
                broker.kill();
                long killed = System.nanoTime();
                // Down past both timeouts, and then until the relay has counted a failed Kafka call, or for two more
                // of its Kafka timeouts at most (seen once on a loaded machine: no error counted for a minute of
                // outage; the assertions below still want an error counted by the end).
                long latest = outageAtLeast.plusMillis(2L * KAFKA_TIMEOUT_MS).toNanos();
                await(() -> System.nanoTime() - killed >= outageAtLeast.toNanos()
                                && (relay.status().errors() > errorsBefore || System.nanoTime() - killed >= latest),
                        "the outage outlasts the relay's timeouts");
                boolean noticedWhileDown = relay.status().errors() > errorsBefore;
                long storedDuringOutage = support.store.globalLog().headPosition();
                Duration outage = Duration.ofNanos(System.nanoTime() - killed);
                broker.restart();
                long publishedAtRestart = relay.status().eventsPublished();
                await(() -> relay.status().eventsPublished() > publishedAtRestart, "the relay publishes again once the broker is back");
                done.set(true);
                RelayTestSupport.join(writers);
                List<RawEvent> stored = support.all();
                Published seen = Published.settled(bootstrap, support.topics(), stored.size(), Duration.ofSeconds(90));
                assertThat(publishedBefore).as("published before the outage").isPositive();
                assertThat(storedDuringOutage).as("the store's head after the outage (it was %d at the kill)", storedAtKill)
                        .isGreaterThan(storedAtKill);
                assertThat(support.writeErrors()).as("appends that failed while the broker was down (the last: %s)",
                        support.lastWriteError()).isZero();
                assertThat(relay.status().errors()).as("the relay noticed the outage").isGreaterThan(errorsBefore);
                seen.assertExactlyOnceInOrder(stored);
                System.out.printf("broker outage: %d ms down (the relay %s an error while it was down); %d events in all,"
                        + " published exactly once; the relay recovered from %d errors%n", outage.toMillis(),
                        noticedWhileDown ? "counted" : "had not yet counted", stored.size(), relay.status().errors());
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
            long hanging;
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
                hanging = openTransactions(bootstrap);
                assertThat(hanging).as("the dying relay's transaction is open on the event topics").isPositive();
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

            // What the next leader aborts, from its log: the relay names each partition it aborts a hanging
            // transaction on (RelayTopics), then says how many it aborted (Relay).
            ListAppender<ILoggingEvent> said = new ListAppender<>();
            said.start();
            Logger relayLog = (Logger) LoggerFactory.getLogger(Relay.class);
            Logger topicsLog = (Logger) LoggerFactory.getLogger(RelayTopics.class);
            relayLog.addAppender(said);
            topicsLog.addAppender(said);
            try (Relay next = Relay.start(support.store, support.relayConfig(bootstrap))) {
                long settle = System.nanoTime() + Duration.ofSeconds(90).toNanos();
                while (openTransactions(bootstrap) > 0) {
                    assertThat(System.nanoTime()).as("no transaction stays open on the event topics").isLessThan(settle);
                    Thread.sleep(200);
                }
                List<RawEvent> stored = support.all();
                Published.settled(bootstrap, support.topics(), stored.size(), Duration.ofSeconds(90)).assertExactlyOnceInOrder(stored);
                List<String> lines;
                synchronized (said) { // the appender adds under its own lock
                    lines = said.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
                }
                java.util.regex.Pattern abortedOn = java.util.regex.Pattern.compile(
                        "Aborting a hanging transaction on (" + java.util.regex.Pattern.quote(topic) + "-\\d+) ");
                java.util.regex.Pattern abortedCount = java.util.regex.Pattern.compile(
                        "Relay " + java.util.regex.Pattern.quote(next.name()) + ": aborted (\\d+) transaction\\(s\\)");
                List<String> partitions = lines.stream().map(abortedOn::matcher).filter(java.util.regex.Matcher::find)
                        .map(m -> m.group(1)).toList();
                int counted = lines.stream().map(abortedCount::matcher).filter(java.util.regex.Matcher::find)
                        .mapToInt(m -> Integer.parseInt(m.group(1))).sum();
                assertThat(partitions).as("the partitions the next leader aborted a hanging transaction on (its log: %s)", lines)
                        .hasSize((int) hanging).doesNotHaveDuplicates();
                assertThat(counted).as("the aborted transactions the next leader counted (its log: %s)", lines).isEqualTo(hanging);
                assertThat(next.status().errors()).as("the abort was counted among the relay's errors").isPositive();
            } finally {
                relayLog.detachAppender(said);
                topicsLog.detachAppender(said);
            }
        }
    }

    private static void await(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("in time: %s", what).isLessThan(deadline);
            Thread.sleep(20);
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
