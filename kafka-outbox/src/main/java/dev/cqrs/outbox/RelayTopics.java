package dev.cqrs.outbox;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.AbortTransactionSpec;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListTransactionsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.TransactionalIdNotFoundException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The relay's topics: creates them on first use with the settings exactly-once publication needs, refuses
 * (or, when allowed, fixes) existing ones whose settings would lose events or refuse the largest record,
 * and aborts the transactions a broker failure left hanging on them.
 */
final class RelayTopics implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RelayTopics.class);

    /** A topic whose settings would lose events or refuse records: what is wrong and how to fix it. */
    static final class UnsafeTopicException extends KafkaException {
        UnsafeTopicException(String message) {
            super(message);
        }
    }

    private final Admin admin;
    private final int partitions;
    private final Optional<Short> replicationFactor;
    private final Duration timeout;
    private final int maxRecordBytes;
    private final boolean fixSettings;
    private final Set<String> known = ConcurrentHashMap.newKeySet();

    /**
     * @param maxRecordBytes the largest record the relay may send: event topics must accept it
     * @param fixSettings    whether unsafe settings of existing topics may be changed rather than refused
     */
    RelayTopics(String bootstrapServers, int partitions, short replicationFactor, Duration timeout, int maxRecordBytes,
                boolean fixSettings) {
        this.admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                AdminClientConfig.CLIENT_ID_CONFIG, "cqrs-relay-admin",
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) timeout.toMillis(),
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis()));
        this.partitions = partitions;
        this.replicationFactor = replicationFactor < 0 ? Optional.empty() : Optional.of(replicationFactor);
        this.timeout = timeout;
        this.maxRecordBytes = maxRecordBytes;
        this.fixSettings = fixSettings;
    }

    /**
     * Makes sure an event topic exists with safe settings: kept forever and never compacted (projections
     * replay it from the beginning), accepting the largest record.
     *
     * @throws UnsafeTopicException when it exists with settings that would lose events or refuse records
     */
    void ensureEventTopic(String topic) {
        if (known.contains(topic)) {
            return;
        }
        boolean created = create(new NewTopic(topic, Optional.of(partitions), replicationFactor).configs(Map.of(
                "retention.ms", "-1", "retention.bytes", "-1", "cleanup.policy", "delete",
                "max.message.bytes", Integer.toString(maxRecordBytes))));
        if (!created) {
            Map<String, String> wanted = new HashMap<>();
            Map<String, String> settings = settings(topic);
            List<String> problems = new ArrayList<>();
            if (!"-1".equals(settings.get("retention.ms"))) {
                problems.add("retention.ms=" + settings.get("retention.ms") + " deletes old events (projections replay the topic"
                        + " from its first event): it must be -1");
                wanted.put("retention.ms", "-1");
            }
            if (!"-1".equals(settings.get("retention.bytes"))) {
                problems.add("retention.bytes=" + settings.get("retention.bytes") + " deletes old events: it must be -1");
                wanted.put("retention.bytes", "-1");
            }
            if (String.valueOf(settings.get("cleanup.policy")).contains("compact")) {
                problems.add("cleanup.policy=" + settings.get("cleanup.policy") + " keeps only each aggregate's last event:"
                        + " it must be delete");
                wanted.put("cleanup.policy", "delete");
            }
            if (!problems.isEmpty()) {
                fixOrRefuse(topic, problems, wanted);
            }
            long maxMessage = Long.parseLong(settings.getOrDefault("max.message.bytes", "0"));
            if (maxMessage < maxRecordBytes) {
                // Raising the limit loses nothing and changes nothing else: done without asking (a topic made by
                // a projector, or by the broker's auto-creation, has the broker's default of about 1 MiB).
                alter(topic, Map.of("max.message.bytes", Integer.toString(maxRecordBytes)));
                log.info("Raised max.message.bytes of topic {} from {} to {}: the largest event record the store accepts",
                        topic, maxMessage, maxRecordBytes);
            }
        }
        known.add(topic);
    }

    /**
     * Makes sure the checkpoint topic exists with one partition and compaction only (a delete policy would
     * drop the checkpoint in time, and the relay would publish everything again).
     *
     * @throws UnsafeTopicException when it exists with settings that would lose the checkpoint
     */
    void ensureCheckpointTopic(String topic) {
        if (known.contains(topic)) {
            return;
        }
        boolean created = create(new NewTopic(topic, Optional.of(1), replicationFactor).configs(Map.of("cleanup.policy", "compact")));
        if (!created) {
            String policy = settings(topic).get("cleanup.policy");
            if (!"compact".equals(policy)) {
                fixOrRefuse(topic, List.of("cleanup.policy=" + policy + " deletes the checkpoint in time (the relay would then"
                        + " publish every event again): it must be compact"), Map.of("cleanup.policy", "compact"));
            }
            int count = describe(List.of(topic)).get(topic).partitions().size();
            if (count != 1) {
                throw new UnsafeTopicException("the checkpoint topic " + topic + " has " + count + " partitions; the relay"
                        + " keeps its checkpoint in partition 0 of a topic of one partition: give relay.checkpoint.topic a new"
                        + " topic, or recreate this one with one partition");
            }
        }
        known.add(topic);
    }

    private void fixOrRefuse(String topic, List<String> problems, Map<String, String> wanted) {
        if (!fixSettings) {
            throw new UnsafeTopicException("topic " + topic + " exists with settings that would lose events or refuse them: "
                    + String.join("; ", problems) + ". Change them (kafka-configs --alter --entity-type topics --entity-name "
                    + topic + " --add-config " + String.join(",", wanted.entrySet().stream()
                    .map(e -> e.getKey() + "=" + e.getValue()).toList()) + "), or let the relay do it"
                    + " (relay.topic.fix.settings=true).");
        }
        alter(topic, wanted);
        log.warn("Changed the settings of topic {}: {} (they were: {})", topic, wanted, String.join("; ", problems));
    }

    private void alter(String topic, Map<String, String> wanted) {
        List<AlterConfigOp> ops = wanted.entrySet().stream()
                .map(e -> new AlterConfigOp(new ConfigEntry(e.getKey(), e.getValue()), AlterConfigOp.OpType.SET)).toList();
        await(admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.TOPIC, topic), ops)).all(),
                "changing the settings of topic " + topic);
    }

    private Map<String, String> settings(String topic) {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        Config config = await(admin.describeConfigs(List.of(resource)).all(), "reading the settings of topic " + topic).get(resource);
        Map<String, String> settings = new HashMap<>();
        for (ConfigEntry entry : config.entries()) {
            settings.put(entry.name(), entry.value());
        }
        return settings;
    }

    /**
     * The offset after the last record of partition 0 of {@code topic}, committed or not (the high
     * watermark, not the last stable offset a read_committed consumer is given).
     */
    long highWatermark(String topic) {
        TopicPartition partition = new TopicPartition(topic, 0);
        return await(admin.listOffsets(Map.of(partition, OffsetSpec.latest()), new ListOffsetsOptions(IsolationLevel.READ_UNCOMMITTED))
                .partitionResult(partition), "reading the end offset of " + topic).offset();
    }

    /**
     * Aborts the transactions left open on the checkpoint partition and the given event topics that no
     * transaction coordinator tracks any more: "hanging" transactions, which Kafka can leave behind when a
     * broker dies in the middle of one, or loses its transaction state. A hanging transaction is never ended
     * by its timeout; until it is aborted, read_committed consumers of its partition (projectors, and the
     * relay reading its checkpoint) wait for it forever. Called right after {@code initTransactions}.
     *
     * <p>Only what no coordinator tracks is aborted: an open transaction on a partition is left alone when
     * its producer id is the current one of a transactional id whose coordinator has a transaction under way
     * (or being settled) that includes the partition. In particular this relay's previous transaction, which
     * {@code initTransactions} has just completed or aborted, can only be open on a partition if its commit
     * or abort markers went missing there, and the coordinator has finished with it.
     *
     * <p>Seen with Kafka 4.4 on one node killed with SIGKILL: after the restart the coordinator aborted the
     * timed-out transaction, its transaction log partition was then elected a second time, and the abort
     * markers never reached the data partitions (BrokerOutageTest; the relay logs what it aborts).
     *
     * @return how many were aborted
     */
    int abortHangingTransactions(String checkpointTopic, Collection<String> eventTopics) {
        Set<TopicPartition> partitions = partitionsOf(checkpointTopic, eventTopics);
        var producers = await(admin.describeProducers(partitions).all(), "looking for open transactions on " + partitions.size()
                + " partitions");
        int aborted = 0;
        Map<Long, Optional<Tracked>> coordinators = new HashMap<>();
        for (var entry : producers.entrySet()) {
            for (ProducerState producer : entry.getValue().activeProducers()) {
                if (producer.currentTransactionStartOffset().isEmpty()) {
                    continue;
                }
                Optional<Tracked> tracked = coordinators.computeIfAbsent(producer.producerId(), this::coordinatorOf);
                boolean underWay = tracked.isPresent()
                        && !Set.of(TransactionState.EMPTY, TransactionState.COMPLETE_ABORT, TransactionState.COMPLETE_COMMIT)
                        .contains(tracked.get().description().state())
                        && tracked.get().description().producerEpoch() == producer.producerEpoch()
                        && tracked.get().description().topicPartitions().contains(entry.getKey());
                if (underWay || !stillOpen(entry.getKey(), producer)) {
                    continue;
                }
                log.warn("Aborting a hanging transaction on {} (producer id {}, epoch {}, open since offset {}): {}", entry.getKey(),
                        producer.producerId(), producer.producerEpoch(), producer.currentTransactionStartOffset().getAsLong(),
                        tracked.map(t -> "its coordinator has " + t.description().state() + " at epoch "
                                + t.description().producerEpoch() + " for transactional id " + t.transactionalId())
                                .orElse("no coordinator knows its producer id"));
                await(admin.abortTransaction(new AbortTransactionSpec(entry.getKey(), producer.producerId(),
                        (short) producer.producerEpoch(), producer.coordinatorEpoch().orElse(0))).all(),
                        "aborting a hanging transaction on " + entry.getKey());
                aborted++;
            }
        }
        return aborted;
    }

    /** A transactional id and what its coordinator says of its transaction. */
    private record Tracked(String transactionalId, TransactionDescription description) {
    }

    /**
     * Whether the transaction seen open is open still, after its coordinator was asked: if it has ended since
     * (it was only slow), it was never hanging. Closes the race with a transaction that commits in between.
     */
    private boolean stillOpen(TopicPartition partition, ProducerState seen) {
        var now = await(admin.describeProducers(List.of(partition)).partitionResult(partition), "describing the producers of " + partition);
        return now.activeProducers().stream().anyMatch(p -> p.producerId() == seen.producerId()
                && p.producerEpoch() == seen.producerEpoch()
                && p.currentTransactionStartOffset().equals(seen.currentTransactionStartOffset()));
    }

    /** What the coordinators know of a producer id: the transaction of the transactional id it is the current producer of. */
    private Optional<Tracked> coordinatorOf(long producerId) {
        Collection<TransactionListing> listings = await(admin.listTransactions(new ListTransactionsOptions()
                .filterProducerIds(Set.of(producerId))).all(), "finding the transactional id of producer " + producerId);
        for (TransactionListing listing : listings) {
            try {
                TransactionDescription description = await(admin.describeTransactions(List.of(listing.transactionalId()))
                        .description(listing.transactionalId()), "describing transactional id " + listing.transactionalId());
                if (description.producerId() == producerId) {
                    return Optional.of(new Tracked(listing.transactionalId(), description));
                }
            } catch (KafkaException e) {
                if (!(e.getCause() instanceof TransactionalIdNotFoundException)) {
                    throw e;
                }
            }
        }
        return Optional.empty();
    }

    /** The checkpoint partition and every partition of the event topics that exist. */
    private Set<TopicPartition> partitionsOf(String checkpointTopic, Collection<String> eventTopics) {
        Set<TopicPartition> all = new HashSet<>();
        all.add(new TopicPartition(checkpointTopic, 0));
        if (!eventTopics.isEmpty()) {
            Map<String, TopicDescription> described = describe(eventTopics);
            described.forEach((topic, description) ->
                    description.partitions().forEach(p -> all.add(new TopicPartition(topic, p.partition()))));
        }
        return all;
    }

    /** The descriptions of the topics that exist. */
    private Map<String, TopicDescription> describe(Collection<String> topics) {
        Map<String, TopicDescription> described = new HashMap<>();
        admin.describeTopics(topics).topicNameValues().forEach((topic, future) -> {
            try {
                described.put(topic, await(future, "describing topic " + topic));
            } catch (KafkaException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                    throw e;
                }
            }
        });
        return described;
    }

    /** Creates the topic; false when it exists already. */
    private boolean create(NewTopic topic) {
        try {
            await(admin.createTopics(List.of(topic)).all(), "creating topic " + topic.name());
            log.info("Created topic {} ({} partitions)", topic.name(), topic.numPartitions());
            return true;
        } catch (KafkaException e) {
            if (e.getCause() instanceof TopicExistsException) {
                return false;
            }
            if (e.getCause() instanceof InvalidTopicException invalid) {
                throw new UnsafeTopicException("Kafka refuses topic " + topic.name() + ": " + invalid.getMessage());
            }
            throw e;
        }
    }

    /**
     * Waits up to the timeout for an admin call. A failure becomes a {@link KafkaException} (its cause the
     * broker's error), a timeout Kafka's {@code TimeoutException}; both say what was being done.
     */
    private <T> T await(KafkaFuture<T> call, String what) {
        try {
            return call.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new KafkaException(what + " failed: " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new org.apache.kafka.common.errors.TimeoutException(what + " took longer than " + timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaException("interrupted while " + what, e);
        }
    }

    @Override
    public void close() {
        admin.close(Duration.ofSeconds(2));
    }
}
