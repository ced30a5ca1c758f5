package dev.cqrs.embedded.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@org.junit.jupiter.api.Tag("soak") // ./cqrs soak: long fault-infrastructure runs, not in the default suite
class KafkaBrokerProcessTest {

    private static final int RECORDS = 5_000;

    @Test
    void everyRecordAcknowledgedWithAcksAllSurvivesSigkillAndRestart(@TempDir Path directory) throws Exception {
        try (KafkaBrokerProcess broker = KafkaBrokerProcess.start(directory)) {
            String bootstrapServers = broker.bootstrapServers();
            String topic = KafkaBroker.uniqueTopic("sigkill");
            broker.createTopic(topic, 3);
            Set<String> acknowledged = ConcurrentHashMap.newKeySet();
            AtomicInteger failed = new AtomicInteger();
            int acknowledgedBeforeKill;

            var producer = new KafkaProducer<>(Map.<String, Object>of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                    ProducerConfig.ACKS_CONFIG, "all",
                    ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                    ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 60_000,
                    ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 200), new StringSerializer(), new StringSerializer());
            try {
                for (int i = 0; i < RECORDS; i++) {
                    String value = "event-" + i;
                    producer.send(new ProducerRecord<>(topic, "todo-" + (i % 17), value), (metadata, error) -> {
                        if (error == null) {
                            acknowledged.add(value);
                        } else {
                            failed.incrementAndGet();
                        }
                    });
                    if (i == RECORDS / 2) {
                        awaitAtLeast(acknowledged, RECORDS / 4);
                        broker.kill(); // some records acknowledged, some perhaps in flight
                        acknowledgedBeforeKill = acknowledged.size();
                        assertThat(broker.isAlive()).isFalse();
                        assertThat(acknowledgedBeforeKill).isBetween(RECORDS / 4, RECORDS / 2 + 1);
                        // What was not acknowledged is retried by the producer after the restart.
                        // (Sending meanwhile would block on metadata until the broker is back.)
                        broker.restart();
                    }
                }
                producer.flush();
            } finally {
                producer.close(Duration.ofSeconds(10));
            }

            assertThat(broker.bootstrapServers()).isEqualTo(bootstrapServers);
            List<String> consumed = KafkaBrokerTest.consumeValues(bootstrapServers, topic, "read_committed",
                    acknowledged.size());
            assertThat(acknowledged.size() + failed.get()).isEqualTo(RECORDS);
            assertThat(new HashSet<>(consumed)).containsAll(acknowledged);
        }
    }

    private static void awaitAtLeast(Set<String> acknowledged, int count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (acknowledged.size() < count && System.nanoTime() < deadline) {
            TimeUnit.MILLISECONDS.sleep(1);
        }
        assertThat(acknowledged).as("acknowledged before the kill").hasSizeGreaterThanOrEqualTo(count);
    }
}
