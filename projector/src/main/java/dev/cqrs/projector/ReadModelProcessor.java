package dev.cqrs.projector;

import java.util.List;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a PostgreSQL projection's handlers: decodes each record, lets its handler write statements, and
 * hands them to the {@link ReadModelStore}. A record that cannot be decoded, whose handler keeps throwing,
 * or whose statements fail on their own, goes to the dead letters: recorded in PostgreSQL with its
 * partition's position (so it is never lost between PostgreSQL and Kafka), and copied to the dead-letter
 * topic. Its position counts as applied, so the projection goes on.
 */
final class ReadModelProcessor<E> implements Processor<String, byte[], String, byte[]> {

    private static final Logger log = LoggerFactory.getLogger(ReadModelProcessor.class);

    private final PostgresProjection<E> projection;
    private final String storeName;
    private final int attempts;
    private final ProjectionMetrics metrics;
    private ProcessorContext<String, byte[]> context;
    private ReadModelStore store;

    ReadModelProcessor(PostgresProjection<E> projection, String storeName, int attempts, ProjectionMetrics metrics) {
        this.projection = projection;
        this.storeName = storeName;
        this.attempts = attempts;
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<String, byte[]> context) {
        this.context = context;
        this.store = context.getStateStore(storeName);
    }

    @Override
    public void process(Record<String, byte[]> record) {
        Delivery delivery = Delivery.of(context, record);
        Delivery.Decoded<E> decoded = delivery.decode(projection.codec());
        if (decoded.event().isEmpty()) {
            deadLetter(delivery, Delivery.Stage.DECODE, decoded.failure().orElseThrow());
            return;
        }
        var event = decoded.event().get();
        SqlBatch sql = null;
        for (int attempt = 1; attempt <= attempts; attempt++) {
            SqlBatch candidate = new SqlBatch();
            try {
                projection.apply(event, candidate);
                sql = candidate;
                break;
            } catch (Exception e) {
                if (attempt == attempts) {
                    deadLetter(delivery, Delivery.Stage.HANDLER, e);
                    return;
                }
                log.debug("Projection {}: handler failed on {} (attempt {} of {})", projection.name(), delivery.where(), attempt, attempts, e);
            }
        }
        ReadModelWriter.Pending pending = new ReadModelWriter.Pending(delivery.partition, delivery.offset,
                event.globalPosition(), List.copyOf(sql.statements));
        if (store.isSuspect(delivery.partition, delivery.offset)) {
            store.applyAlone(pending, e -> delivery.failure(Delivery.Stage.SQL, e))
                    .ifPresent(e -> copyToDeadLetterTopic(delivery, Delivery.Stage.SQL, e));
            store.clearSuspect(delivery.partition, delivery.offset);
        } else {
            store.add(pending);
        }
        metrics.processed(event.globalPosition());
    }

    /** Sets the record aside: its dead letter is written with the next flush, with its partition's position. */
    private void deadLetter(Delivery delivery, Delivery.Stage stage, Throwable error) {
        store.add(new ReadModelWriter.Pending(delivery.partition, delivery.offset, delivery.positionOrZero(), List.of())
                .asDeadLetter(delivery.failure(stage, error)));
        copyToDeadLetterTopic(delivery, stage, error);
    }

    /**
     * The dead-letter topic's copy, sent in the task's Kafka transaction: for consumers of the topic. The
     * dead letters in PostgreSQL are the record of truth ({@link Projector#deadLetters}).
     */
    private void copyToDeadLetterTopic(Delivery delivery, Delivery.Stage stage, Throwable error) {
        log.warn("Projection {}: {} (global position {}) is set aside as a dead letter ({} failed: {})", projection.name(),
                delivery.where(), delivery.positionOrZero(), stage, error.toString());
        delivery.deadLetter(context, projection.name(), stage, error);
        metrics.deadLettered();
    }
}
