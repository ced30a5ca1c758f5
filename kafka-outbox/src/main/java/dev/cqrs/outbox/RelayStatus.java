package dev.cqrs.outbox;

import dev.cqrs.postgres.GlobalLog;
import java.time.Instant;
import java.util.Optional;

/**
 * What a relay is doing, for health checks and metrics.
 *
 * @param role                  leader, standby or stopped
 * @param publishedPosition     the last global position this relay knows to be published (0 before)
 * @param eventsPublished       events published by this relay since it started
 * @param transactionsCommitted Kafka transactions committed since it started
 * @param lastBatchSize         events in the last transaction
 * @param largestBatchSize      the most events in one transaction so far
 * @param eventsPerSecond       events published per second, over the last ten seconds
 * @param errors                failures it recovered from (broker or database unavailable, fencing)
 * @param lastError             the latest of them
 * @param lastPublishedAt       when it last committed a transaction
 * @param logHeldBackBy         an append that has held the global log back for longer than the warning
 *                              threshold ({@code relay.holdup.warn.ms}), while it does
 */
public record RelayStatus(
        Role role,
        long publishedPosition,
        long eventsPublished,
        long transactionsCommitted,
        int lastBatchSize,
        int largestBatchSize,
        double eventsPerSecond,
        long errors,
        Optional<String> lastError,
        Optional<Instant> lastPublishedAt,
        Optional<GlobalLog.HoldUp> logHeldBackBy) {

    public enum Role {
        /** Trying to become the leader; another relay publishes. */
        STANDBY,
        /** Holds the leader lock and publishes. */
        LEADER,
        /**
         * Will not publish: the store and the checkpoint, or the topics' settings, would lose or mix events;
         * {@code lastError} says why and what to do. Checks again now and then.
         */
        REFUSED,
        /** Closed. */
        STOPPED
    }
}
