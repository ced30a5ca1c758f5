package dev.cqrs.bench.kafka;

import dev.cqrs.bench.measure.Arrivals;
import dev.cqrs.codec.kafka.EventRecords;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Watches a topic as a {@code read_committed} consumer does, from its end at the time of opening, and
 * notes when each event became visible, by the global position in its header: the moment a
 * downstream consumer could have read it.
 */
public final class Visibility implements Arrivals, AutoCloseable {

    private final KafkaConsumer<String, byte[]> consumer;
    private final Map<Long, Long> visibleAt = new ConcurrentHashMap<>();
    private final Thread thread;
    private volatile boolean closed;
    private volatile RuntimeException failure;

    /** Opens the consumer at the end of every partition of {@code topic} and starts watching. */
    public Visibility(String bootstrapServers, String topic) {
        Map<String, Object> config = new HashMap<>();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        // A fetch waits for data at most this long; the broker answers as soon as a transaction's records
        // become visible, so this only bounds an idle wait.
        config.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 100);
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, "bench-visibility-" + topic);
        consumer = new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                .map(p -> new TopicPartition(topic, p.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        partitions.forEach(p -> consumer.position(p, Duration.ofSeconds(30)));
        thread = Thread.ofPlatform().name("bench-visibility").start(this::watch);
    }

    private void watch() {
        try {
            while (!closed) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(100))) {
                    long now = System.nanoTime();
                    Header position = record.headers().lastHeader(EventRecords.GLOBAL_POSITION);
                    visibleAt.putIfAbsent(Long.parseLong(new String(position.value(), StandardCharsets.UTF_8)), now);
                }
            }
        } catch (org.apache.kafka.common.errors.WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            failure = e;
        }
    }

    /** When the event at {@code position} became visible to the consumer. */
    @Override
    public long arrivedAt(long position, long deadlineNanos) throws InterruptedException {
        while (true) {
            Long at = visibleAt.get(position);
            if (at != null) {
                return at;
            }
            if (failure != null) {
                throw new IllegalStateException("the visibility consumer failed: " + failure, failure);
            }
            if (System.nanoTime() > deadlineNanos) {
                return -1;
            }
            Thread.sleep(1);
        }
    }

    @Override
    public void close() {
        closed = true;
        consumer.wakeup();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        consumer.close(Duration.ofSeconds(5));
    }
}
