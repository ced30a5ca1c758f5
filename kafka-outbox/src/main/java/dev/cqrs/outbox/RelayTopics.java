package dev.cqrs.outbox;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AbortTransactionSpec;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.TransactionalIdNotFoundException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Creates the relay's topics on first use, with the configured partitions and replication. */
final class RelayTopics implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RelayTopics.class);

    private final Admin admin;
    private final int partitions;
    private final Optional<Short> replicationFactor;
    private final Duration timeout;
    private final Set<String> known = ConcurrentHashMap.newKeySet();

    RelayTopics(String bootstrapServers, int partitions, short replicationFactor, Duration timeout) {
        this.admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                AdminClientConfig.CLIENT_ID_CONFIG, "cqrs-relay-admin",
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) timeout.toMillis(),
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis()));
        this.partitions = partitions;
        this.replicationFactor = replicationFactor < 0 ? Optional.empty() : Optional.of(replicationFactor);
        this.timeout = timeout;
    }

    /** An event topic: kept forever, since projections replay it from the beginning. */
    void ensureEventTopic(String topic) {
        if (!known.contains(topic)) {
            create(new NewTopic(topic, Optional.of(partitions), replicationFactor).configs(Map.of("retention.ms", "-1")));
            known.add(topic);
        }
    }

    /** The checkpoint topic: one partition, compacted. */
    void ensureCheckpointTopic(String topic) {
        if (!known.contains(topic)) {
            create(new NewTopic(topic, Optional.of(1), replicationFactor).configs(Map.of("cleanup.policy", "compact")));
            known.add(topic);
        }
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
     * Aborts the transactions that {@code transactionalId}'s producer left open on the checkpoint partition
     * or on the event topics this relay wrote to, although the transaction coordinator has closed them: a
     * "hanging" transaction, which Kafka can leave behind when a broker dies in the middle of one. A hanging
     * transaction is never ended by its timeout; until it is aborted, read_committed consumers of its
     * partition, and the relay reading its checkpoint, wait for it forever. Called right after
     * {@code initTransactions}, when no transaction of this id may legitimately be open; only a transaction
     * of an older epoch of the same producer id is aborted.
     *
     * <p>Seen with Kafka 4.4 on one node killed with SIGKILL: after the restart the coordinator aborted the
     * timed-out transaction, its transaction log partition was then elected a second time, and the abort
     * markers never reached the data partitions (BrokerOutageTest; the relay logs what it aborts).
     *
     * @return how many were aborted
     */
    int abortHangingTransactions(String transactionalId, String checkpointTopic) {
        TransactionDescription coordinator;
        try {
            coordinator = await(admin.describeTransactions(List.of(transactionalId)).description(transactionalId),
                    "describing transactional id " + transactionalId);
        } catch (KafkaException e) {
            if (e.getCause() instanceof TransactionalIdNotFoundException) {
                return 0; // this relay group never began a transaction
            }
            throw e;
        }
        if (!Set.of(TransactionState.EMPTY, TransactionState.COMPLETE_ABORT, TransactionState.COMPLETE_COMMIT)
                .contains(coordinator.state())) {
            return 0; // a transaction is under way or being settled: nothing can be said to hang
        }
        int aborted = 0;
        var producers = await(admin.describeProducers(partitionsWritten(checkpointTopic)).all(),
                "looking for hanging transactions");
        for (var entry : producers.entrySet()) {
            for (ProducerState producer : entry.getValue().activeProducers()) {
                if (producer.producerId() == coordinator.producerId() && producer.producerEpoch() < coordinator.producerEpoch()
                        && producer.currentTransactionStartOffset().isPresent()) {
                    log.warn("Aborting a hanging transaction of {} (producer id {}, epoch {}) on {}, open since offset {}",
                            transactionalId, producer.producerId(), producer.producerEpoch(), entry.getKey(),
                            producer.currentTransactionStartOffset().getAsLong());
                    await(admin.abortTransaction(new AbortTransactionSpec(entry.getKey(), producer.producerId(),
                            (short) producer.producerEpoch(), producer.coordinatorEpoch().orElse(0))).all(),
                            "aborting a hanging transaction on " + entry.getKey());
                    aborted++;
                }
            }
        }
        return aborted;
    }

    /**
     * The checkpoint partition and every partition of the event topics this relay wrote to, described in
     * one call; a topic that cannot be described is taken to have the partitions the relay creates.
     */
    private Set<TopicPartition> partitionsWritten(String checkpointTopic) {
        List<String> eventTopics = known.stream().filter(topic -> !topic.equals(checkpointTopic)).toList();
        Map<String, TopicDescription> described = Map.of();
        if (!eventTopics.isEmpty()) {
            try {
                described = await(admin.describeTopics(eventTopics).allTopicNames(), "describing the event topics");
            } catch (KafkaException e) {
                if (Thread.currentThread().isInterrupted()) {
                    throw e;
                }
            }
        }
        Set<TopicPartition> written = new java.util.HashSet<>();
        written.add(new TopicPartition(checkpointTopic, 0));
        for (String topic : eventTopics) {
            TopicDescription description = described.get(topic);
            int count = description == null ? partitions : description.partitions().size();
            for (int i = 0; i < count; i++) {
                written.add(new TopicPartition(topic, i));
            }
        }
        return written;
    }

    private void create(NewTopic topic) {
        try {
            await(admin.createTopics(List.of(topic)).all(), "creating topic " + topic.name());
            log.info("Created topic {} ({} partitions)", topic.name(), topic.numPartitions());
        } catch (KafkaException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw e;
            }
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
        } catch (java.util.concurrent.TimeoutException e) {
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
