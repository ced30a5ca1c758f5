package dev.cqrs.projector;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/** What the projector asks Kafka: partitions, committed end offsets, a group's committed offsets, topics to create. */
final class KafkaOffsets implements AutoCloseable {

    /** Kafka calls wait at most this long: a read-your-writes wait must not outlast its own timeout by much. */
    private static final Duration TIMEOUT = Duration.ofSeconds(3);

    private final Admin admin;
    private final Map<String, List<TopicPartition>> partitions = new ConcurrentHashMap<>();

    KafkaOffsets(String bootstrapServers) {
        this.admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                AdminClientConfig.CLIENT_ID_CONFIG, "cqrs-projector-admin"));
    }

    /** The partitions of the topics; a topic that does not exist yet has none. */
    List<TopicPartition> partitionsOf(List<String> topics) {
        List<TopicPartition> all = new ArrayList<>();
        for (String topic : topics) {
            List<TopicPartition> known = partitions.get(topic);
            if (known == null) {
                try {
                    TopicDescription description = get(admin.describeTopics(List.of(topic)).allTopicNames()).get(topic);
                    known = description.partitions().stream().map(p -> new TopicPartition(topic, p.partition())).toList();
                    partitions.put(topic, known);
                } catch (KafkaException e) {
                    if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                        continue;
                    }
                    throw e;
                }
            }
            all.addAll(known);
        }
        return all;
    }

    /** The offsets after the last committed record of each partition (read_committed). */
    Map<TopicPartition, Long> endOffsets(List<TopicPartition> of) {
        if (of.isEmpty()) {
            return Map.of();
        }
        return offsets(of, IsolationLevel.READ_COMMITTED);
    }

    /**
     * Whether {@code group} has consumed every record the partitions hold now, with no transaction pending on
     * them: for each, the high watermark (read first, committed or not), then the last stable offset, which
     * must have reached it (no commit markers still on their way), then the group's committed offset, which
     * must have reached that.
     */
    boolean allConsumed(String group, List<TopicPartition> of) {
        if (of.isEmpty()) {
            return true;
        }
        Map<TopicPartition, Long> high = offsets(of, IsolationLevel.READ_UNCOMMITTED);
        Map<TopicPartition, Long> stable = offsets(of, IsolationLevel.READ_COMMITTED);
        Map<TopicPartition, Long> committed = committed(group, of);
        return of.stream().allMatch(p -> stable.getOrDefault(p, 0L) >= high.getOrDefault(p, 0L)
                && committed.getOrDefault(p, 0L) >= stable.getOrDefault(p, 0L));
    }

    private Map<TopicPartition, Long> offsets(List<TopicPartition> of, IsolationLevel isolation) {
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        of.forEach(p -> latest.put(p, OffsetSpec.latest()));
        Map<TopicPartition, Long> ends = new HashMap<>();
        get(admin.listOffsets(latest, new ListOffsetsOptions(isolation)).all()).forEach((p, info) -> ends.put(p, info.offset()));
        return ends;
    }

    /** A consumer group's committed offsets (0 for partitions it never committed). */
    Map<TopicPartition, Long> committed(String group, List<TopicPartition> of) {
        Map<TopicPartition, OffsetAndMetadata> offsets = get(admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata());
        Map<TopicPartition, Long> committed = new HashMap<>();
        for (TopicPartition p : of) {
            OffsetAndMetadata offset = offsets.get(p);
            committed.put(p, offset == null ? 0L : offset.offset());
        }
        return committed;
    }

    /** Records not yet consumed by the group, summed over the partitions. */
    long lag(String group, List<TopicPartition> of) {
        Map<TopicPartition, Long> ends = endOffsets(of);
        Map<TopicPartition, Long> committed = committed(group, of);
        long lag = 0;
        for (TopicPartition p : of) {
            lag += Math.max(0, ends.getOrDefault(p, 0L) - committed.getOrDefault(p, 0L));
        }
        return lag;
    }

    void createTopic(String name, int partitionCount) {
        try {
            get(admin.createTopics(List.of(new NewTopic(name, Optional.of(partitionCount), Optional.empty())
                    .configs(Map.of("retention.ms", "-1", "retention.bytes", "-1", "cleanup.policy", "delete")))).all());
        } catch (KafkaException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw e;
            }
        }
    }

    private static <T> T get(org.apache.kafka.common.KafkaFuture<T> future) {
        try {
            return future.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new KafkaException(e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new org.apache.kafka.common.errors.TimeoutException("Kafka did not answer within " + TIMEOUT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaException("interrupted", e);
        }
    }

    @Override
    public void close() {
        admin.close(Duration.ofSeconds(2));
    }
}
