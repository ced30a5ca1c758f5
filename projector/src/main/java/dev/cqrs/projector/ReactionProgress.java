package dev.cqrs.projector;

import dev.cqrs.codec.kafka.EventRecords;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * How far a reactor got, for a caller that waits until it has reacted to a position (as
 * {@link ReadYourWrites} does for read models). A reactor keeps its progress in Kafka only: its consumer
 * group's committed offsets (committed with its output, exactly once) and its dead-letter topic.
 *
 * <p>A partition is past position P when the last record the group committed there has a position at or
 * after P (records of a partition are in position order), or when the group has consumed everything the
 * partition holds with no transaction pending on it, once P is known to be published (some partition is
 * past P by the first rule). The append at P was dead-lettered when a record of its transaction is in
 * the dead-letter topic.
 */
final class ReactionProgress implements AutoCloseable {

    /** How far back from the committed offset to look for the last record processed (markers take offsets too). */
    private static final int LOOK_BACK = 32;

    private final KafkaOffsets kafka;
    private final String group;
    private final String topic;
    private final String deadLetterTopic;
    private final KafkaConsumer<String, byte[]> reader;
    private final Set<Long> deadLetteredTransactions = new HashSet<>();
    private long deadLettersRead;

    ReactionProgress(KafkaOffsets kafka, String bootstrapServers, String group, String topic, String deadLetterTopic) {
        this.kafka = kafka;
        this.group = group;
        this.topic = topic;
        this.deadLetterTopic = deadLetterTopic;
        this.reader = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.CLIENT_ID_CONFIG, "cqrs-reaction-progress-" + group,
                ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3_000),
                new StringDeserializer(), new ByteArrayDeserializer());
    }

    /** Waits until the reactor has passed {@code position}, polling, and says how it ended. */
    ReadYourWrites.Outcome await(long position, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (hasPassed(position)) {
                return isDeadLettered(position) ? ReadYourWrites.Outcome.DEAD_LETTERED : ReadYourWrites.Outcome.REACHED;
            }
            if (System.nanoTime() > deadline) {
                return ReadYourWrites.Outcome.TIMED_OUT;
            }
            Thread.sleep(50);
        }
    }

    synchronized boolean hasPassed(long position) {
        List<TopicPartition> partitions = kafka.partitionsOf(List.of(topic));
        Map<TopicPartition, Long> committed = kafka.committed(group, partitions);
        boolean published = false;
        List<TopicPartition> notPast = new ArrayList<>();
        for (TopicPartition partition : partitions) {
            long upTo = committed.getOrDefault(partition, 0L);
            if (upTo > 0 && lastPositionBefore(partition, upTo) >= position) {
                published = true;
            } else {
                notPast.add(partition);
            }
        }
        return published && kafka.allConsumed(group, notPast);
    }

    /** The position of the last record before {@code offset} in the partition (0 if none is readable). */
    private long lastPositionBefore(TopicPartition partition, long offset) {
        reader.assign(List.of(partition));
        reader.seek(partition, Math.max(0, offset - LOOK_BACK));
        long last = 0;
        long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        while (reader.position(partition) < offset && System.nanoTime() < deadline) {
            for (ConsumerRecord<String, byte[]> record : reader.poll(Duration.ofMillis(100))) {
                if (record.offset() < offset) {
                    last = Math.max(last, position(record));
                }
            }
        }
        return last;
    }

    private synchronized boolean isDeadLettered(long position) {
        TopicPartition partition = new TopicPartition(deadLetterTopic, 0);
        long end = kafka.endOffsets(List.of(partition)).getOrDefault(partition, 0L);
        if (end > deadLettersRead) {
            reader.assign(List.of(partition));
            reader.seek(partition, deadLettersRead);
            long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
            while (reader.position(partition) < end && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> record : reader.poll(Duration.ofMillis(100))) {
                    long dead = position(record);
                    if (dead > 0) {
                        deadLetteredTransactions.add(dead >>> 16);
                    }
                }
            }
            deadLettersRead = reader.position(partition);
        }
        return deadLetteredTransactions.contains(position >>> 16);
    }

    private static long position(ConsumerRecord<String, byte[]> record) {
        Header header = record.headers().lastHeader(EventRecords.GLOBAL_POSITION);
        if (header == null || header.value() == null) {
            return 0;
        }
        try {
            return Long.parseLong(new String(header.value(), StandardCharsets.UTF_8));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    @Override
    public synchronized void close() {
        reader.close(Duration.ofSeconds(2));
    }
}
