package dev.cqrs.postgres;

import dev.cqrs.core.AppendResult;
import dev.cqrs.core.CommandMetadata;
import dev.cqrs.core.EventNumber;
import dev.cqrs.core.Precondition;
import dev.cqrs.core.PreconditionFailed;
import dev.cqrs.core.PreconditionFailedException;
import dev.cqrs.core.StreamId;
import dev.cqrs.core.codec.EncodedEvent;
import dev.cqrs.core.dcb.AppendCondition;
import dev.cqrs.core.dcb.AppendConditionFailed;
import dev.cqrs.core.dcb.AppendConditionFailedException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Appends tagged events, and appends under an {@link AppendCondition}, in one transaction:
 *
 * <ol>
 *   <li>take the {@link ConsistencyLocks}: shared for the tags of the events written, exclusive for
 *       the items of the condition's query (advisory locks are not writes);</li>
 *   <li>check the condition: the first event after its position that matches its query, in a statement
 *       of its own after the locks' (sent with them, in one round trip), so that its snapshot is taken
 *       after the locks were granted and sees every append that held one of them;</li>
 *   <li>the {@link Appender}'s statement on this connection: the stream's precondition, the idempotency
 *       key and the insert, still the transaction's first write (so per-stream and global order
 *       agree);</li>
 *   <li>commit, then notify listeners as the Appender does.</li>
 * </ol>
 *
 * Between the check and the commit no event matching the query can commit: its appender would need a
 * lock this transaction holds. Untagged appends without a condition never come here: they stay a single
 * autocommitted statement that takes no lock.
 */
final class ConditionalAppender {

    private static final Logger log = LoggerFactory.getLogger(ConditionalAppender.class);

    /** A lost race on a stream's sequence, without a precondition, is tried again this often. */
    private static final int ATTEMPTS = 20;
    private static final String DEADLOCK = "40P01";

    private final DataSource pool;
    private final String schema;
    private final Appender appender;
    private final ConsistencyLocks locks;

    ConditionalAppender(DataSource pool, String schema, Appender appender) {
        this.pool = pool;
        this.schema = schema;
        this.appender = appender;
        this.locks = new ConsistencyLocks(schema);
    }

    AppendResult append(StreamId stream, List<EncodedEvent> events, Optional<Precondition> precondition,
                        Optional<AppendCondition> condition, CommandMetadata metadata) {
        appender.check(stream, events);
        Optional<String> key = metadata.idempotencyKey();
        if (key.isPresent()) {
            // A retried command whose first attempt committed: its own events now fail the condition.
            Optional<AppendResult> earlier = appender.earlierAppend(key.get());
            if (earlier.isPresent()) {
                return earlier.get();
            }
        }
        ConsistencyLocks.Needed needed = locksFor(stream, events, condition);
        for (int attempt = 1; ; attempt++) {
            try {
                AppendResult result = appendOnce(stream, events, precondition, condition, metadata, needed);
                if (!result.replayed()) {
                    appender.notifyListeners();
                }
                return result;
            } catch (AppendConditionFailedException conflict) {
                Optional<AppendResult> twin = key.flatMap(appender::earlierAppend);
                if (twin.isPresent()) {
                    return twin.get(); // the event found is the same command's, appended concurrently
                }
                throw conflict;
            } catch (SQLException e) {
                if (attempt == 1 && SqlFailures.isConnectionFailure(e) && key.isPresent()) {
                    log.debug("The connection broke while appending to {}; sending it again with its idempotency key", stream);
                    continue;
                }
                if (SqlFailures.isUniqueViolation(e, "idempotency_keys_pkey")) {
                    return appender.earlierAppend(key.orElseThrow())
                            .orElseThrow(() -> SqlFailures.appendFailed(stream.toString(), e));
                }
                boolean lostSequence = SqlFailures.isUniqueViolation(e, "events_stream_sequence");
                if (lostSequence) {
                    Optional<AppendResult> earlier = key.flatMap(appender::earlierAppend);
                    if (earlier.isPresent()) {
                        return earlier.get();
                    }
                    if (precondition.isPresent()) {
                        throw new PreconditionFailedException(
                                new PreconditionFailed(stream, precondition.get(), appender.currentVersion(stream)));
                    }
                }
                if (!(lostSequence || DEADLOCK.equals(e.getSQLState())) || attempt >= ATTEMPTS) {
                    throw SqlFailures.appendFailed(stream.toString(), e);
                }
                // Another append to the stream took the next sequence first; the condition is checked again.
                log.debug("Lost a race appending to {} ({}); trying again", stream, e.getSQLState());
            }
        }
    }

    private AppendResult appendOnce(StreamId stream, List<EncodedEvent> events, Optional<Precondition> precondition,
                                    Optional<AppendCondition> condition, CommandMetadata metadata,
                                    ConsistencyLocks.Needed needed) throws SQLException {
        try (Connection connection = pool.getConnection()) {
            connection.setAutoCommit(false);
            boolean committed = false;
            try {
                AppendResult result = appendWith(connection, stream, events, precondition, condition, metadata, needed);
                connection.commit();
                committed = true;
                return result;
            } finally {
                if (!committed) {
                    rollbackQuietly(connection);
                }
                restoreAutoCommit(connection);
            }
        }
    }

    /**
     * Locks, check and insert on a connection whose transaction the caller commits (tests hold it open
     * to commit late). The check throws {@link AppendConditionFailedException}; the caller rolls back.
     */
    AppendResult appendWith(Connection connection, StreamId stream, List<EncodedEvent> events,
                            Optional<Precondition> precondition, Optional<AppendCondition> condition,
                            CommandMetadata metadata, ConsistencyLocks.Needed needed) throws SQLException {
        if (condition.isPresent()) {
            Optional<AppendConditionFailed.Found> found = lockAndCheck(connection, stream.aggregateType(), condition.get(), needed);
            if (found.isPresent()) {
                throw new AppendConditionFailedException(new AppendConditionFailed(stream, condition.get(), found.get()));
            }
        } else {
            locks.take(connection, schema, needed);
        }
        return appender.appendWith(connection, stream, events, precondition, metadata);
    }

    /** The locks this appender takes; reads by query take them too. */
    ConsistencyLocks locks() {
        return locks;
    }

    /** The locks an append of {@code events} under {@code condition} takes (for tests that call {@link #appendWith}). */
    ConsistencyLocks.Needed locksFor(StreamId stream, List<EncodedEvent> events, Optional<AppendCondition> condition) {
        ConsistencyLocks.Needed needed = new ConsistencyLocks.Needed();
        locks.addWriterLocks(needed, stream.aggregateType(), events);
        condition.ifPresent(c -> locks.addConditionLocks(needed, stream.aggregateType(), c.failIfEventsMatch()));
        return needed;
    }

    /**
     * Takes the locks and then finds the first event after the condition's position that matches its
     * query: one round trip, the locks' statements first, so that the check's snapshot is taken after
     * they were granted.
     */
    private Optional<AppendConditionFailed.Found> lockAndCheck(Connection connection, String aggregateType,
                                                               AppendCondition condition, ConsistencyLocks.Needed needed)
            throws SQLException {
        String sql = locks.prefix(schema, needed) + "SELECT global_position, aggregate_id, sequence, event_type, tags FROM "
                + schema + ".events WHERE aggregate_type = ? AND global_position > ? AND "
                + QuerySql.condition(condition.failIfEventsMatch()) + " ORDER BY global_position LIMIT 1";
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            int p = locks.bind(ps, 1, needed);
            ps.setString(p++, aggregateType);
            ps.setLong(p++, condition.after());
            QuerySql.bind(connection, ps, p, condition.failIfEventsMatch());
            try (ResultSet rs = ConsistencyLocks.lastResult(ps, needed)) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                return Optional.of(new AppendConditionFailed.Found(rs.getLong(1), StreamId.of(aggregateType, rs.getString(2)),
                        EventNumber.of(rs.getLong(3)), rs.getString(4), Rows.tags(rs, 5)));
            }
        }
    }

    private static void restoreAutoCommit(Connection connection) {
        try {
            connection.setAutoCommit(true);
        } catch (SQLException e) {
            log.debug("Could not restore autocommit; the pool discards the connection", e);
        }
    }

    private static void rollbackQuietly(Connection connection) {
        try {
            connection.rollback();
        } catch (SQLException e) {
            log.debug("Rollback failed; the pool discards the connection", e);
        }
    }
}
