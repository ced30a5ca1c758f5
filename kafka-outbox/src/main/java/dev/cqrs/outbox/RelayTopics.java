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
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.common.IsolationLevel;
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
        try {
            return admin.listOffsets(Map.of(partition, OffsetSpec.latest()), new ListOffsetsOptions(IsolationLevel.READ_UNCOMMITTED))
                    .partitionResult(partition).get(timeout.toMillis(), TimeUnit.MILLISECONDS).offset();
        } catch (ExecutionException e) {
            throw new KafkaException("cannot read the end offset of " + topic + ": " + e.getCause().getMessage(), e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new org.apache.kafka.common.errors.TimeoutException("reading the end offset of " + topic + " took longer than " + timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaException("interrupted while reading the end offset of " + topic, e);
        }
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
        try {
            TransactionDescription coordinator = admin.describeTransactions(List.of(transactionalId))
                    .description(transactionalId).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!Set.of(TransactionState.EMPTY, TransactionState.COMPLETE_ABORT, TransactionState.COMPLETE_COMMIT)
                    .contains(coordinator.state())) {
                return 0; // a transaction is under way or being settled: nothing can be said to hang
            }
            Set<TopicPartition> partitions = new java.util.HashSet<>();
            partitions.add(new TopicPartition(checkpointTopic, 0));
            known.stream().filter(topic -> !topic.equals(checkpointTopic)).forEach(topic -> {
                for (int i = 0; i < partitionsOf(topic); i++) {
                    partitions.add(new TopicPartition(topic, i));
                }
            });
            int aborted = 0;
            var producers = admin.describeProducers(partitions).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            for (var entry : producers.entrySet()) {
                for (ProducerState producer : entry.getValue().activeProducers()) {
                    if (producer.producerId() == coordinator.producerId() && producer.producerEpoch() < coordinator.producerEpoch()
                            && producer.currentTransactionStartOffset().isPresent()) {
                        log.warn("Aborting a hanging transaction of {} (producer id {}, epoch {}) on {}, open since offset {}",
                                transactionalId, producer.producerId(), producer.producerEpoch(), entry.getKey(),
                                producer.currentTransactionStartOffset().getAsLong());
                        admin.abortTransaction(new AbortTransactionSpec(entry.getKey(), producer.producerId(),
                                (short) producer.producerEpoch(), producer.coordinatorEpoch().orElse(0)))
                                .all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                        aborted++;
                    }
                }
            }
            return aborted;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof TransactionalIdNotFoundException) {
                return 0; // this relay group never began a transaction
            }
            throw new KafkaException("cannot look for hanging transactions: " + e.getCause().getMessage(), e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new org.apache.kafka.common.errors.TimeoutException("looking for hanging transactions took longer than " + timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaException("interrupted while looking for hanging transactions", e);
        }
    }

    /** The event topic partitions the relay creates; a topic created elsewhere is asked for. */
    private int partitionsOf(String topic) {
        try {
            return admin.describeTopics(List.of(topic)).allTopicNames().get(timeout.toMillis(), TimeUnit.MILLISECONDS)
                    .get(topic).partitions().size();
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            return partitions;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaException("interrupted while describing " + topic, e);
        }
    }

    private void create(NewTopic topic) {
        try {
            admin.createTopics(List.of(topic)).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            log.info("Created topic {} ({} partitions)", topic.name(), topic.numPartitions());
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new KafkaException("cannot create topic " + topic.name() + ": " + e.getCause().getMessage(), e.getCause());
            }
        } catch (java.util.concurrent.TimeoutException e) {
            throw new org.apache.kafka.common.errors.TimeoutException("creating topic " + topic.name() + " took longer than " + timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaException("interrupted while creating topic " + topic.name(), e);
        }
    }

    @Override
    public void close() {
        admin.close(Duration.ofSeconds(2));
    }
}
