package dev.cqrs.projector;

import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaClientSupplier;
import org.apache.kafka.streams.errors.StreamsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Resumes each partition of a PostgreSQL projection's generation from what its read model holds, when that
 * is below what Kafka's consumer group committed. The read model is the record of what was applied (rows
 * and positions commit together); the group's offsets are only where Kafka Streams would go on. They part
 * when the read-model database goes back in time while Kafka does not: a restore from a backup, or a
 * failover to an asynchronous standby that lacked the projector's last commits. Resuming from the group's
 * offsets would then never apply the records in between; resuming from the read model's applies them
 * again, and the writer's fence skips whatever the read model does have.
 *
 * <p>Kafka Streams gives an application no hook into where a partition starts, but it subscribes its main
 * consumer, made by the {@link KafkaClientSupplier} it is given, with a rebalance listener of its own. The
 * consumer made here wraps that listener: once Kafka Streams has taken an assignment, each newly assigned
 * partition whose read-model offset + 1 is below the group's committed offset is sought back to it (a
 * {@code seek} inside {@code onPartitionsAssigned} is the consumer's documented way to start from offsets
 * stored elsewhere). Kafka Streams only seeks itself for a task it revives after corruption, and then to the
 * committed offset; such a task fails again at its first write ({@link ReadModelWriter.WentBack}), and
 * the thread's replacement is assigned its partitions afresh. A state store's {@code init} would be too
 * late and has no consumer; a changelog restore only rebuilds state up to the committed offset.
 *
 * <p>When the read model cannot be read here, the assignment fails (the stream thread is replaced and tries
 * again): going on from Kafka's offsets unchecked is what lost rows.
 */
final class ReadModelResume implements KafkaClientSupplier {

    private static final Logger log = LoggerFactory.getLogger(ReadModelResume.class);

    private final Generation generation;
    private final Supplier<Map<TopicPartition, ReadModelDatabase.Applied>> applied;
    private final ReadModelWriter writer;

    /**
     * @param applied reads every partition's applied offset from the generation's positions table
     * @param writer  the generation's writer, told where each partition resumes
     */
    ReadModelResume(Generation generation, Supplier<Map<TopicPartition, ReadModelDatabase.Applied>> applied, ReadModelWriter writer) {
        this.generation = generation;
        this.applied = applied;
        this.writer = writer;
    }

    @Override
    public Admin getAdmin(Map<String, Object> config) {
        return Admin.create(config);
    }

    @Override
    public Producer<byte[], byte[]> getProducer(Map<String, Object> config) {
        return new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer());
    }

    @Override
    public Consumer<byte[], byte[]> getConsumer(Map<String, Object> config) {
        return new ResumingConsumer(config);
    }

    @Override
    public Consumer<byte[], byte[]> getRestoreConsumer(Map<String, Object> config) {
        return new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    @Override
    public Consumer<byte[], byte[]> getGlobalConsumer(Map<String, Object> config) {
        return new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /** Seeks the newly assigned partitions back to the read model's offsets where those are below the group's. */
    void resumeFromReadModel(Consumer<byte[], byte[]> consumer, Collection<TopicPartition> partitions) {
        if (partitions.isEmpty()) {
            return;
        }
        Map<TopicPartition, ReadModelDatabase.Applied> stored;
        try {
            stored = applied.get();
        } catch (RuntimeException e) {
            throw new StreamsException("projection " + generation + ": cannot read the read"
                    + " model's positions to resume partitions " + partitions + " (" + e.getMessage() + "); the stream thread"
                    + " is replaced and tries again", e);
        }
        Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(new HashSet<>(partitions));
        for (TopicPartition partition : partitions) {
            ReadModelDatabase.Applied at = stored.get(partition);
            long appliedOffset = at == null ? -1 : at.offset();
            OffsetAndMetadata groupAt = committed.get(partition);
            long groupOffset = groupAt == null ? -1 : groupAt.offset();
            writer.resumedAt(partition, appliedOffset, groupOffset);
            if (groupOffset > appliedOffset + 1) {
                if (appliedOffset < 0) {
                    consumer.seekToBeginning(List.of(partition));
                } else {
                    consumer.seek(partition, appliedOffset + 1);
                }
                // Usually a commit marker or an aborted batch lies in between and nothing is applied again; when
                // records are, the writer says so with a WARN.
                log.info("Projection {}: {} resumes after the read model's offset {}, below the group's committed offset {}",
                        generation, partition, appliedOffset, groupOffset);
            }
        }
    }

    /** The main consumer: subscribes with Kafka Streams' listener wrapped so that assignments resume from the read model. */
    private final class ResumingConsumer extends KafkaConsumer<byte[], byte[]> {

        ResumingConsumer(Map<String, Object> config) {
            super(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        }

        @Override
        public void subscribe(Collection<String> topics, ConsumerRebalanceListener listener) {
            super.subscribe(topics, new Resuming(listener));
        }

        @Override
        public void subscribe(Pattern pattern, ConsumerRebalanceListener listener) {
            super.subscribe(pattern, new Resuming(listener));
        }

        private final class Resuming implements ConsumerRebalanceListener {
            private final ConsumerRebalanceListener streams;

            Resuming(ConsumerRebalanceListener streams) {
                this.streams = streams;
            }

            @Override
            public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                streams.onPartitionsAssigned(partitions);
                resumeFromReadModel(ResumingConsumer.this, partitions);
            }

            @Override
            public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                streams.onPartitionsRevoked(partitions);
            }

            @Override
            public void onPartitionsLost(Collection<TopicPartition> partitions) {
                streams.onPartitionsLost(partitions);
            }
        }
    }
}
