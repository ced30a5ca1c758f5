package dev.cqrs.embedded.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cqrs.embedded.network.FaultProxy;
import dev.cqrs.embedded.network.NetworkFault;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/** Three KRaft nodes as JVMs of their own, shared by the tests of this class (each leaves it whole). */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@org.junit.jupiter.api.Tag("soak") // ./cqrs soak: long fault-infrastructure runs, not in the default suite
class KafkaClusterTest {

    private KafkaCluster cluster;
    private Admin admin;

    @BeforeAll
    void start() {
        cluster = KafkaCluster.start(KafkaClusterOptions.threeNodes().withLinks("client"));
        admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers()));
    }

    @AfterAll
    void stop() {
        if (admin != null) {
            admin.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    @Order(1)
    void topicsGetThreeReplicasOfWhichTwoMustBeInSync() throws Exception {
        String topic = KafkaBroker.uniqueTopic("replicated");
        cluster.createTopic(topic, 3);

        TopicDescription description = admin.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic);
        Config config = admin.describeConfigs(List.of(new ConfigResource(ConfigResource.Type.TOPIC, topic)))
                .all().get(10, TimeUnit.SECONDS).values().iterator().next();
        assertThat(description.partitions()).allSatisfy(partition -> {
            assertThat(partition.replicas()).hasSize(3);
            assertThat(partition.isr()).hasSize(3);
        });
        assertThat(config.get("min.insync.replicas").value()).isEqualTo("2");
        assertThat(cluster.nodes()).extracting(KafkaClusterNode::id).containsExactly(1, 2, 3);
        assertThat(cluster.activeController()).isBetween(1, 3);
    }

    @Test
    @Order(2)
    void theTransactionCoordinatorOfAnIdIsKnownBeforeItIsUsedAndIsTheOneKafkaReports() throws Exception {
        String transactionalId = "coordinated-" + System.nanoTime();
        String topic = KafkaBroker.uniqueTopic("transactional");
        cluster.createTopic(topic, 1);
        int predicted = cluster.transactionCoordinatorOf(transactionalId);

        try (var producer = new KafkaProducer<>(Map.<String, Object>of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers(),
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId), new StringSerializer(), new StringSerializer())) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, "k", "v"));
            producer.commitTransaction();
        }

        int reported = admin.describeTransactions(List.of(transactionalId)).description(transactionalId)
                .get(10, TimeUnit.SECONDS).coordinatorId();
        assertThat(predicted).isEqualTo(reported);
        String group = "group-" + System.nanoTime();
        int predictedGroupCoordinator = cluster.groupCoordinatorOf(group);
        try (var consumer = new KafkaConsumer<>(Map.<String, Object>of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, group,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (consumer.assignment().isEmpty() && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200));
            }
            consumer.commitSync(Duration.ofSeconds(10));
        }
        int reportedGroupCoordinator = admin.describeConsumerGroups(List.of(group)).describedGroups().get(group)
                .get(10, TimeUnit.SECONDS).coordinator().id();
        assertThat(predictedGroupCoordinator).isEqualTo(reportedGroupCoordinator);
    }

    @Test
    @Order(3)
    void sigkillOfTheNodeLeadingEveryPartitionLosesNoAcknowledgedRecordAndItRejoinsOnItsData() throws Exception {
        String topic = KafkaBroker.uniqueTopic("leader-kill");
        int victim = 2;
        cluster.createTopicLedBy(topic, 3, victim, Map.of());
        Set<String> acknowledged = ConcurrentHashMap.newKeySet();
        AtomicInteger failed = new AtomicInteger();
        int sent = 0;
        int acknowledgedAtKill;
        Map<Integer, OptionalInt> leadersWhileDead;
        try (var producer = new KafkaProducer<>(producerSettings(cluster.bootstrapServers()), new StringSerializer(),
                new StringSerializer())) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (acknowledged.size() < 2_000 && System.nanoTime() < deadline) {
                sent = send(producer, topic, sent, 50, acknowledged, failed);
                TimeUnit.MILLISECONDS.sleep(10);
            }
            cluster.node(victim).kill(); // records in flight now are retried against the new leaders
            acknowledgedAtKill = acknowledged.size();
            while (acknowledged.size() < acknowledgedAtKill + 2_000 && System.nanoTime() < deadline) {
                if (sent - acknowledged.size() - failed.get() < 1_000) { // at most 1,000 unanswered while leaders move
                    sent = send(producer, topic, sent, 50, acknowledged, failed);
                }
                TimeUnit.MILLISECONDS.sleep(10);
            }
            leadersWhileDead = cluster.leaders(topic);
            producer.flush();
        }
        cluster.node(victim).restart();
        cluster.awaitFullyReplicated(Duration.ofSeconds(60));

        assertThat(leadersWhileDead.values()).as("new leaders while node %d was dead", victim)
                .allMatch(leader -> leader.isPresent() && leader.getAsInt() != victim);
        assertThat(acknowledged.size() + failed.get()).isEqualTo(sent);
        assertThat(failed.get()).as("sends that failed (delivery timeout 60 s)").isZero();
        List<String> consumed = consume(topic, acknowledged.size());
        Set<String> distinct = new java.util.HashSet<>(consumed);
        assertThat(consumed.size() - distinct.size()).as("records written twice").isZero();
        Set<String> missing = new java.util.TreeSet<>(acknowledged);
        missing.removeAll(distinct);
        assertThat(missing).as("acknowledged records missing after the leader's SIGKILL").isEmpty();
        System.out.printf("leader kill: %d records acknowledged by 3 replicas (min.insync.replicas 2), %d of them after node %d"
                + " was killed, all read back once; leaders while it was dead %s%n", acknowledged.size(),
                acknowledged.size() - acknowledgedAtKill, victim, leadersWhileDead);
    }

    @Test
    @Order(4)
    void aPausedNodeIsFencedByItsPeersAndRejoinsWhenResumed() throws Exception {
        KafkaClusterNode paused = cluster.node(3);
        paused.pause();
        try {
            assertThat(paused.isPaused()).isTrue();
            awaitRegistered(Set.of(1, 2), "node 3 fenced while paused");
        } finally {
            paused.resume();
        }
        awaitRegistered(Set.of(1, 2, 3), "node 3 back after SIGCONT");
        cluster.awaitFullyReplicated(Duration.ofSeconds(60));
    }

    @Test
    @Order(5)
    void clientsOfALinkReachEveryNodeThroughItsProxiesOnlySoABlackholeStopsThemAll() throws Exception {
        String topic = KafkaBroker.uniqueTopic("linked");
        cluster.createTopic(topic, 3);
        Map<String, Object> settings = producerSettings(cluster.bootstrapServers("client"));
        settings.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 3_000);
        settings.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 2_000);
        settings.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 3_000);
        try (var producer = new KafkaProducer<>(settings, new StringSerializer(), new StringSerializer())) {
            for (int partition = 0; partition < 3; partition++) {
                producer.send(new ProducerRecord<>(topic, partition, "k", "before")).get(10, TimeUnit.SECONDS);
            }
            List<FaultProxy> links = cluster.links("client");
            assertThat(links).as("every node's proxy carried the client's traffic")
                    .allMatch(link -> link.connectionsAccepted() > 0);
            links.forEach(link -> link.inject(NetworkFault.blackhole()));
            try {
                var blocked = producer.send(new ProducerRecord<>(topic, 0, "k", "during"));
                assertThat(catching(() -> blocked.get(10, TimeUnit.SECONDS))).as("a send while every link is blackholed")
                        .isInstanceOf(ExecutionException.class)
                        .hasCauseInstanceOf(org.apache.kafka.common.errors.TimeoutException.class);
            } finally {
                links.forEach(FaultProxy::heal);
            }
            producer.send(new ProducerRecord<>(topic, 0, "k", "after")).get(30, TimeUnit.SECONDS);
        }
    }

    private static Map<String, Object> producerSettings(String bootstrap) {
        Map<String, Object> settings = new HashMap<>();
        settings.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        settings.put(ProducerConfig.ACKS_CONFIG, "all");
        settings.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        settings.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 60_000);
        settings.put(ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 200);
        settings.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        return settings;
    }

    private static int send(KafkaProducer<String, String> producer, String topic, int from, int count, Set<String> acknowledged,
                            AtomicInteger failed) {
        for (int i = from; i < from + count; i++) {
            String value = "record-" + i;
            producer.send(new ProducerRecord<>(topic, "key-" + (i % 31), value), (metadata, error) -> {
                if (error == null) {
                    acknowledged.add(value);
                } else {
                    failed.incrementAndGet();
                }
            });
        }
        return from + count;
    }

    /** Reads the topic from the start with read_committed until {@code expected} records came, or 60 s passed. */
    private List<String> consume(String topic, int expected) {
        List<String> values = new ArrayList<>();
        try (var consumer = new KafkaConsumer<>(Map.<String, Object>of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(), new StringDeserializer())) {
            consumer.assign(List.of(new TopicPartition(topic, 0), new TopicPartition(topic, 1), new TopicPartition(topic, 2)));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (values.size() < expected && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    values.add(record.value());
                }
            }
        }
        return values;
    }

    private void awaitRegistered(Set<Integer> expected, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        Set<Integer> registered = Set.of();
        while (System.nanoTime() < deadline) {
            try {
                registered = Set.copyOf(admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).stream()
                        .map(org.apache.kafka.common.Node::id).toList());
                if (registered.equals(expected)) {
                    return;
                }
            } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
                // the node answering may be the paused one: ask again
            }
            TimeUnit.MILLISECONDS.sleep(200);
        }
        assertThat(registered).as(what).isEqualTo(expected);
    }

    private static Throwable catching(ThrowingCall call) {
        try {
            call.run();
            return null;
        } catch (Throwable e) {
            return e;
        }
    }

    private interface ThrowingCall {
        void run() throws Exception;
    }
}
