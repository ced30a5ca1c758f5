package dev.cqrs.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cqrs.core.CommandMetadata;
import dev.cqrs.core.RawEvent;
import dev.cqrs.core.contract.ContractCodecs;
import dev.cqrs.core.contract.ContractEvent;
import dev.cqrs.embedded.kafka.KafkaBroker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The relay against a real PostgreSQL and a real Kafka broker. */
class RelayTest {

    private static final String BOOTSTRAP = KafkaBroker.shared().bootstrapServers();
    private final RelayTestSupport support = new RelayTestSupport("relay");

    @AfterEach
    void close() {
        support.close();
    }

    @Test
    void publishesEveryEventOnceKeyedByAggregateWithItsMetadataInHeaders() throws Exception {
        var events = support.store.events(support.aggregateType, ContractCodecs.events());
        UUID causation = UUID.randomUUID();
        events.append("a", List.of(new ContractEvent.Incremented(1), new ContractEvent.Renamed("x")), Optional.empty(),
                CommandMetadata.create().withCausationId(causation).withInitiatedBy("alice").withHeader("tenant", "t1"));
        events.append("b", List.of(new ContractEvent.Incremented(2)), Optional.empty(), CommandMetadata.create());
        List<RawEvent> stored = support.all();
        try (Relay relay = Relay.start(support.store, support.relayConfig(BOOTSTRAP))) {
            Published published = Published.consume(BOOTSTRAP, support.topics(), Duration.ofSeconds(60),
                    p -> p.events.size() >= stored.size());
            published.assertExactlyOnceInOrder(stored);
            assertThat(published.events).usingRecursiveFieldByFieldElementComparator().containsExactlyInAnyOrderElementsOf(stored);
            assertThat(relay.status().role()).isEqualTo(RelayStatus.Role.LEADER);
            assertThat(relay.status().publishedPosition()).isEqualTo(stored.get(stored.size() - 1).globalPosition());
            assertThat(relay.lagEvents()).isZero();
        }
    }

    /**
     * The relay crashes at every point of a transaction (after begin; after its first, middle and last event
     * record; after the checkpoint record; after a commit the relay never heard back from), each in the first,
     * a middle and the last transaction of a backlog of three; each time a new relay takes over from the
     * checkpoint. Every crash is asserted to have happened where it was meant to, and at the end every event
     * is published exactly once, in order per aggregate, every field of it as stored.
     */
    @Test
    void aRelayThatCrashesAtEveryPointOfAFirstAMiddleAndALastTransactionNeitherLosesNorDuplicatesAnEvent() throws Exception {
        int batch = 60;
        Map<String, Object> settings = support.relaySettings(BOOTSTRAP);
        settings.put(RelayConfig.BATCH_MAX_EVENTS, batch);
        String checkpointTopic = support.prefix + ".checkpoints";
        List<String> crashes = new ArrayList<>();
        for (CrashingProducer.Point point : CrashingProducer.Point.values()) {
            for (int transaction = 1; transaction <= 3; transaction++) {
                support.appendExactly(3 * batch);
                AtomicBoolean crashed = new AtomicBoolean();
                Relay crashing = Relay.start(support.store, new RelayConfig(settings),
                        CrashingProducer.crashingAt(point, transaction, batch, checkpointTopic, crashed));
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (!crashing.isStopped()) {
                    assertThat(System.nanoTime()).as("the relay crashes at %s of transaction %d", point, transaction)
                            .isLessThan(deadline);
                    Thread.sleep(10);
                }
                assertThat(crashed).as("it crashed at %s of transaction %d", point, transaction).isTrue();
                crashes.add(point + "@" + transaction);
                try (Relay next = Relay.start(support.store, new RelayConfig(settings))) {
                    long head = support.store.globalLog().headPosition();
                    long drained = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                    while (next.status().publishedPosition() < head) {
                        assertThat(System.nanoTime()).as("the next relay publishes the rest after %s of transaction %d",
                                point, transaction).isLessThan(drained);
                        Thread.sleep(10);
                    }
                }
            }
        }
        assertThat(crashes).hasSize(CrashingProducer.Point.values().length * 3).doesNotHaveDuplicates();
        List<RawEvent> stored = support.all();
        Published.settled(BOOTSTRAP, support.topics(), stored.size(), Duration.ofSeconds(60)).assertExactlyOnceInOrder(stored);
        System.out.printf("relay crash test: %d crashes (%s); %d events published exactly once%n", crashes.size(), crashes,
                stored.size());
    }

    @Test
    void anotherRelayGroupsOpenTransactionOnTheSharedCheckpointTopicDoesNotHideOurCheckpoint() throws Exception {
        var events = support.store.events(support.aggregateType, ContractCodecs.events());
        String checkpointTopic = support.prefix + ".checkpoints";
        try (RelayTopics topics = new RelayTopics(BOOTSTRAP, 1, (short) -1, Duration.ofSeconds(10), 2_000_000, false);
             KafkaProducer<String, byte[]> otherGroup = new KafkaProducer<>(Map.of(
                     ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, BOOTSTRAP,
                     ProducerConfig.TRANSACTIONAL_ID_CONFIG, support.prefix + "-other-group"),
                     new StringSerializer(), new ByteArraySerializer())) {
            topics.ensureCheckpointTopic(checkpointTopic);
            events.append("a", List.of(new ContractEvent.Incremented(1)), Optional.empty(), CommandMetadata.create());
            Relay first = Relay.start(support.store, support.relayConfig(BOOTSTRAP));
            awaitPublished(first, 1);
            // Another relay group opens a transaction on the shared topic and keeps it open; our group then
            // publishes again, and its checkpoint lands above the other group's open record.
            otherGroup.initTransactions();
            otherGroup.beginTransaction();
            otherGroup.send(new ProducerRecord<>(checkpointTopic, 0, "other-group", "1".getBytes())).get();
            events.append("b", List.of(new ContractEvent.Incremented(2)), Optional.empty(), CommandMetadata.create());
            awaitPublished(first, 2);
            first.halt();
            events.append("c", List.of(new ContractEvent.Incremented(3)), Optional.empty(), CommandMetadata.create());
            try (Relay second = Relay.start(support.store, support.relayConfig(BOOTSTRAP))) {
                // The second relay has had its chance to publish once its checkpoint reader has had answers from
                // the broker while the other group's transaction is open: a relay that stopped reading at the last
                // stable offset of the moment would have resumed from the checkpoint below the open record (of
                // "a") and published "b" again.
                awaitCheckpointReaderFetches(second, 3);
                assertThat(second.status().role()).as("the second relay holds the lock while it waits").isEqualTo(RelayStatus.Role.LEADER);
                assertThat(second.status().eventsPublished()).as("published while the other group's transaction is open").isZero();
                otherGroup.commitTransaction();
                awaitPublished(second, 1);
                List<RawEvent> stored = support.all();
                Published.settled(BOOTSTRAP, support.topics(), stored.size(), Duration.ofSeconds(30))
                        .assertExactlyOnceInOrder(stored);
            }
        }
    }

    /**
     * Waits until the relay's checkpoint reader (a consumer of this JVM, client id
     * {@code cqrs-relay-checkpoint-reader}) has had {@code fetches} fetch responses from the broker, failing at
     * once if the relay publishes meanwhile. Only one relay reads its checkpoint at a time in these tests.
     */
    private static void awaitCheckpointReaderFetches(Relay relay, int fetches) throws Exception {
        javax.management.MBeanServer server = java.lang.management.ManagementFactory.getPlatformMBeanServer();
        javax.management.ObjectName reader = new javax.management.ObjectName(
                "kafka.consumer:type=consumer-fetch-manager-metrics,client-id=cqrs-relay-checkpoint-reader");
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        double seen = 0;
        while (seen < fetches) {
            assertThat(relay.status().eventsPublished()).as("published while the other group's transaction is open").isZero();
            assertThat(System.nanoTime()).as("the relay's checkpoint reader had %d fetch responses in time (so far %s)", fetches, seen)
                    .isLessThan(deadline);
            Thread.sleep(20);
            try {
                seen = ((Number) server.getAttribute(reader, "fetch-total")).doubleValue();
            } catch (javax.management.InstanceNotFoundException e) {
                seen = 0; // no reader open at this instant (not yet, or one just closed): checked and read in one call
            }
        }
    }

    private static void awaitPublished(Relay relay, long events) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (relay.status().eventsPublished() < events) {
            assertThat(System.nanoTime()).as("%d events published in time", events).isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    @Test
    void aStandbyTakesOverWithinSecondsWhenTheLeaderDies() throws Exception {
        Relay first = Relay.start(support.store, support.relayConfig(BOOTSTRAP));
        Relay second = Relay.start(support.store, support.relayConfig(BOOTSTRAP));
        awaitLeader(first, second);
        Relay leader = first.status().role() == RelayStatus.Role.LEADER ? first : second;
        Relay standby = leader == first ? second : first;
        AtomicBoolean failedOver = new AtomicBoolean();
        Thread[] writers = support.write(5_000, 2, () -> !failedOver.get());
        // The leader dies in the middle of its work: it has published, and has events left to publish.
        awaitPublished(leader, 500);
        long publishedAtDeath = leader.status().publishedPosition();
        leader.halt();
        long died = System.nanoTime();
        long headAtDeath = support.store.globalLog().headPosition();
        while (standby.status().role() != RelayStatus.Role.LEADER) {
            assertThat(Duration.ofNanos(System.nanoTime() - died)).as("the standby leads").isLessThan(Duration.ofSeconds(10));
            Thread.sleep(20);
        }
        Duration takeover = Duration.ofNanos(System.nanoTime() - died);
        failedOver.set(true);
        RelayTestSupport.join(writers);
        assertThat(headAtDeath).as("the store's head when the leader died, beyond what it had published").isGreaterThan(publishedAtDeath);
        List<RawEvent> stored = support.all();
        Published seen = Published.consume(BOOTSTRAP, support.topics(), Duration.ofSeconds(60),
                p -> p.events.size() >= stored.size());
        standby.close();
        seen.assertExactlyOnceInOrder(stored);
        System.out.printf("failover: the standby led %d ms after the leader died%n", takeover.toMillis());
    }

    @Test
    void aGracefulCloseReleasesLeadershipAtOnce() throws Exception {
        Relay first = Relay.start(support.store, support.relayConfig(BOOTSTRAP));
        awaitLeader(first);
        Relay second = Relay.start(support.store, support.relayConfig(BOOTSTRAP));
        first.close();
        assertThat(first.status().role()).isEqualTo(RelayStatus.Role.STOPPED);
        awaitLeader(second);
        second.close();
    }

    @Test
    void badSettingsAreRefusedAtStartWithTheKeyAndTheReason() {
        assertThatThrownBy(() -> new RelayConfig(Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("bootstrap.servers");
        assertThatThrownBy(() -> new RelayConfig(Map.of("bootstrap.servers", "x:1", "relay.batch.max.events", "0")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("relay.batch.max.events");
        assertThatThrownBy(() -> new RelayConfig(Map.of("bootstrap.servers", "x:1", "relay.topic.pattern", "events")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("{aggregateType}");
        assertThatThrownBy(() -> new RelayConfig(Map.of("bootstrap.servers", "x:1", "producer.acks", "1")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("exactly-once");
        assertThat(RelayConfig.documentation()).contains("relay.batch.max.events").contains("2000");
    }

    @Test
    void aggregateTypesThatAreNotLegalTopicNamesGetDistinctSafeTopics() {
        TopicNames names = new TopicNames("events.{aggregateType}");
        assertThat(names.topicOf("todo")).isEqualTo("events.todo");
        assertThat(names.topicOf("to do")).startsWith("events.to_do-").matches("[a-zA-Z0-9._-]+");
        assertThat(names.topicOf("to do")).isNotEqualTo(names.topicOf("to/do"));
        assertThat(names.topicOf("x".repeat(400))).hasSizeLessThanOrEqualTo(249);
    }

    @Test
    void theEventTopicOfAnAggregateTypeIsTheTopicTheRelayPublishesItTo() {
        RelayConfig config = new RelayConfig(Map.of("bootstrap.servers", "x:1", "relay.topic.pattern", "prod.{aggregateType}.events"));
        var codec = ContractCodecs.events();
        var events = config.eventTopic("to do", codec);
        assertThat(events.name()).isEqualTo(config.topicOf("to do")).startsWith("prod.to_do-").endsWith(".events");
        assertThat(events.codec()).isSameAs(codec);
    }

    private static boolean isAlive(Thread[] threads) {
        for (Thread thread : threads) {
            if (thread.isAlive()) {
                return true;
            }
        }
        return false;
    }

    private static void awaitLeader(Relay... relays) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            List<Relay> leaders = new ArrayList<>();
            for (Relay relay : relays) {
                if (relay.status().role() == RelayStatus.Role.LEADER) {
                    leaders.add(relay);
                }
            }
            assertThat(leaders).hasSizeLessThanOrEqualTo(1);
            if (leaders.size() == 1) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no relay became the leader");
    }
}
