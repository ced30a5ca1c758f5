package dev.cqrs.audit;

import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.TopicPartition;

/**
 * A read model as one snapshot saw it: its rows, and how far it had applied each partition of the topics it
 * reads (the highest global position applied there), read in the same transaction as the rows.
 *
 * <p>With the positions, the auditor folds exactly the events the read model had applied, so a live system
 * audits clean while writes go on: an event on a partition the snapshot had applied up to a later position is
 * expected in the rows; any other event is not. Without them ({@link #atRest}), every event of the store is
 * expected: audit such a read model on a system at rest.
 *
 * @param rows    the rows, by key, rendered as canonical text
 * @param applied per partition, the highest global position applied; empty when the read model does not record it
 */
public record ReadModelSnapshot(Map<String, String> rows, Optional<Map<TopicPartition, Long>> applied) {

    public ReadModelSnapshot {
        rows = Map.copyOf(rows);
        applied = applied.map(Map::copyOf);
    }

    /** Rows read together with the positions they reflect. */
    public static ReadModelSnapshot of(Map<String, String> rows, Map<TopicPartition, Long> applied) {
        return new ReadModelSnapshot(rows, Optional.of(applied));
    }

    /** Rows that reflect every event in the store: a read model without positions, on a system at rest. */
    public static ReadModelSnapshot atRest(Map<String, String> rows) {
        return new ReadModelSnapshot(rows, Optional.empty());
    }

    /** Whether the event at {@code position}, published to {@code partition} (null if to none), is in the rows. */
    boolean reflects(long position, TopicPartition partition) {
        if (applied.isEmpty()) {
            return true;
        }
        Long upTo = partition == null ? null : applied.get().get(partition);
        return upTo != null && position <= upTo;
    }
}
