package dev.cqrs.projector;

import java.time.Instant;
import java.util.Optional;

/**
 * How a projection or reactor is doing.
 *
 * @param name           the projection or reactor
 * @param generation     the generation serving readers (PostgreSQL projections; 0 otherwise)
 * @param state          the Kafka Streams state (RUNNING, REBALANCING, ERROR, ...)
 * @param processed      events processed by this process since it started
 * @param deadLettered   events sent to the dead-letter topic since it started
 * @param lastPosition   the highest global position processed
 * @param lagRecords     records in its topics that it has not yet consumed and committed
 * @param lastProcessedAt when it last processed an event
 * @param skipped        records of a PostgreSQL projection that this process found already applied when
 *                       writing them, and left alone (redeliveries after a crash or a rebalance, a paused
 *                       process's late flush); 0 for other kinds
 */
public record ProjectionStatus(String name, int generation, String state, long processed, long deadLettered,
                               long lastPosition, long lagRecords, Optional<Instant> lastProcessedAt, long skipped) {
}
