package dev.cqrs.outbox;

import dev.cqrs.codec.kafka.EventRecords;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cqrs.core.RawEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.common.TopicPartition;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * What a read_committed consumer sees on a set of topics, and the checks that it is the store's log
 * exactly once, in order per aggregate.
 */
final class Published {

    final List<RawEvent> events = new ArrayList<>();

    /**
     * Consumes the topics matching {@code topics} from the beginning until {@code done} holds of what was
     * read. The consumer assigns itself every partition of those topics (looking again each second for
     * topics created meanwhile) rather than joining a group: a rebalance would send a group member back
     * to the beginning of its partitions, and the records it read twice would look like duplicates.
     */
    static Published consume(String bootstrap, Pattern topics, Duration timeout, java.util.function.Predicate<Published> done) {
        return consume(bootstrap, topics, timeout, (published, consumer) -> done.test(published));
    }

    private static Published consume(String bootstrap, Pattern topics, Duration timeout,
                                     java.util.function.BiPredicate<Published, KafkaConsumer<String, byte[]>> done) {
        Map<String, Object> config = Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        Published published = new Published();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer())) {
            long deadline = System.nanoTime() + timeout.toNanos();
            long lookedAt = 0;
            while (!done.test(published, consumer) && System.nanoTime() < deadline) {
                if (System.nanoTime() - lookedAt > Duration.ofSeconds(1).toNanos()) {
                    Set<TopicPartition> partitions = new HashSet<>(consumer.assignment());
                    try {
                        consumer.listTopics(Duration.ofSeconds(5)).forEach((topic, infos) -> {
                            if (topics.matcher(topic).matches()) {
                                infos.forEach(info -> partitions.add(new TopicPartition(topic, info.partition())));
                            }
                        });
                    } catch (org.apache.kafka.common.errors.TimeoutException e) {
                        // the broker is not back yet: look again in a second
                    }
                    if (!partitions.equals(consumer.assignment())) {
                        consumer.assign(partitions); // partitions kept keep their positions
                    }
                    lookedAt = System.nanoTime();
                }
                if (consumer.assignment().isEmpty()) {
                    sleep(Duration.ofMillis(200));
                    continue;
                }
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    published.events.add(EventRecords.fromRecord(record));
                }
            }
        }
        return published;
    }

    /**
     * Consumes until the topics have settled: at least {@code expected} events read, no transaction pending
     * on any partition (last stable offset = high watermark), everything up to it read, and still so a second
     * later. A duplicate published after the originals is read, not cut off by the count.
     */
    static Published settled(String bootstrap, Pattern topics, int expected, Duration timeout) {
        long[] settledSince = {0};
        try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(
                Map.of(org.apache.kafka.clients.admin.AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            return consume(bootstrap, topics, timeout, (p, consumer) -> {
                if (p.events.size() < expected || !caughtUp(admin, consumer)) {
                    settledSince[0] = 0;
                    return false;
                }
                if (settledSince[0] == 0) {
                    settledSince[0] = System.nanoTime();
                }
                return System.nanoTime() - settledSince[0] > Duration.ofSeconds(1).toNanos();
            });
        }
    }

    /** Whether the consumer has read every assigned partition up to its high watermark, with no transaction pending. */
    private static boolean caughtUp(org.apache.kafka.clients.admin.Admin admin, KafkaConsumer<String, byte[]> consumer) {
        Set<TopicPartition> assigned = consumer.assignment();
        if (assigned.isEmpty()) {
            return false;
        }
        Map<TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> latest = new HashMap<>();
        assigned.forEach(p -> latest.put(p, org.apache.kafka.clients.admin.OffsetSpec.latest()));
        try {
            var high = admin.listOffsets(latest, new org.apache.kafka.clients.admin.ListOffsetsOptions(
                    org.apache.kafka.common.IsolationLevel.READ_UNCOMMITTED)).all().get(10, java.util.concurrent.TimeUnit.SECONDS);
            Map<TopicPartition, Long> stable = consumer.endOffsets(assigned, Duration.ofSeconds(10));
            for (TopicPartition partition : assigned) {
                long hw = high.get(partition).offset();
                if (stable.get(partition) < hw || consumer.position(partition, Duration.ofSeconds(10)) < hw) {
                    return false;
                }
            }
            return true;
        } catch (Exception e) {
            return false; // the broker is not answering yet: not settled
        }
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Every event of {@code expected} exactly once, and per aggregate in sequence order, contiguous from 1. */
    void assertExactlyOnceInOrder(Collection<RawEvent> expected) {
        Map<UUID, Integer> copies = new HashMap<>();
        for (RawEvent event : events) {
            copies.merge(event.metadata().eventId(), 1, Integer::sum);
        }
        List<UUID> duplicated = copies.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey).toList();
        assertThat(duplicated).as("events published more than once").isEmpty();
        Set<UUID> expectedIds = new HashSet<>();
        expected.forEach(e -> expectedIds.add(e.metadata().eventId()));
        Set<UUID> missing = new HashSet<>(expectedIds);
        missing.removeAll(copies.keySet());
        assertThat(missing).as("committed events never published").isEmpty();
        assertThat(copies.keySet()).as("published events that the store does not hold").isEqualTo(expectedIds);
        Map<UUID, RawEvent> byId = new HashMap<>();
        expected.forEach(e -> byId.put(e.metadata().eventId(), e));
        for (RawEvent event : events) {
            // position, stream, sequence, types, payload bytes, and every field of the metadata
            assertThat(event).as("the published copy of %s", event).isEqualTo(byId.get(event.metadata().eventId()));
        }
        Map<String, Long> lastSequence = new HashMap<>();
        for (RawEvent event : events) {
            String stream = event.stream().toString();
            long previous = lastSequence.getOrDefault(stream, 0L);
            assertThat(event.sequence().value()).as("%s after %d", event, previous).isEqualTo(previous + 1);
            lastSequence.put(stream, event.sequence().value());
        }
    }
}
