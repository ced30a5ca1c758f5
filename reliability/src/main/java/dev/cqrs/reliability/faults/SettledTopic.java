package dev.cqrs.reliability.faults;

import dev.cqrs.codec.kafka.EventRecords;
import dev.cqrs.core.RawEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * What a read_committed consumer sees on a topic once it has settled: read from the beginning, by
 * assignment (no group, so no rebalance sends it back), until on every partition it has reached the last
 * stable offset and the last stable offset is the high watermark, that is until no transaction is open on
 * any partition and everything committed has been read. Not "until an expected count": a duplicate or a
 * record nobody expected shows up as well.
 */
final class SettledTopic {

    /** A record as read: where it is, and the event it carries. */
    record Published(int partition, long offset, RawEvent event) {
    }

    private SettledTopic() {
    }

    /**
     * The topic's events, in partition order.
     *
     * @throws IllegalStateException when it has not settled within {@code timeout} (see {@link #records})
     */
    static List<RawEvent> read(String bootstrap, String topic, Duration timeout) throws InterruptedException {
        return records(bootstrap, topic, timeout).stream().map(Published::event).toList();
    }

    /**
     * The topic's records, in partition order, each with its partition and offset.
     *
     * @throws IllegalStateException when it has not settled within {@code timeout}, naming the partitions that
     *                               still have a transaction open (last stable offset below the high watermark)
     */
    static List<Published> records(String bootstrap, String topic, Duration timeout) throws InterruptedException {
        List<Published> events = new ArrayList<>();
        try (var consumer = new KafkaConsumer<>(Map.<String, Object>of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5_000), new StringDeserializer(), new ByteArrayDeserializer());
             Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(PartitionInfo::partition).sorted().map(p -> new TopicPartition(topic, p)).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.nanoTime() + timeout.toNanos();
            String state = "not looked at yet";
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    events.add(new Published(record.partition(), record.offset(), EventRecords.fromRecord(record)));
                }
                Map<TopicPartition, Long> stable = consumer.endOffsets(partitions, Duration.ofSeconds(10));
                Map<TopicPartition, Long> high = highWatermarks(admin, partitions);
                Map<TopicPartition, Long> positions = new HashMap<>();
                for (TopicPartition partition : partitions) {
                    positions.put(partition, consumer.position(partition, Duration.ofSeconds(10)));
                }
                boolean settled = partitions.stream().allMatch(p -> stable.get(p).equals(high.get(p))
                        && positions.get(p) >= stable.get(p));
                if (settled) {
                    return events;
                }
                state = partitions.stream().map(p -> p.partition() + ": read up to " + positions.get(p) + ", last stable "
                        + stable.get(p) + ", high watermark " + high.get(p)).collect(Collectors.joining("; "));
            }
            throw new IllegalStateException("topic " + topic + " did not settle within " + timeout.toSeconds() + " s (a partition"
                    + " whose last stable offset stays below its high watermark has a transaction open, maybe hanging): "
                    + state);
        }
    }

    private static Map<TopicPartition, Long> highWatermarks(Admin admin, List<TopicPartition> partitions) throws InterruptedException {
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        partitions.forEach(p -> latest.put(p, OffsetSpec.latest()));
        try {
            Map<TopicPartition, Long> offsets = new HashMap<>();
            admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_UNCOMMITTED)).all().get(10, TimeUnit.SECONDS)
                    .forEach((partition, info) -> offsets.put(partition, info.offset()));
            return offsets;
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("cannot read the high watermarks of " + partitions, e);
        }
    }
}
