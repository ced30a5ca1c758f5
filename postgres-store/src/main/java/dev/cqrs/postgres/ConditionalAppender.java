package dev.cqrs.postgres;

import dev.cqrs.core.AppendResult;
import dev.cqrs.core.CommandMetadata;
import dev.cqrs.core.EventNumber;
import dev.cqrs.core.Precondition;
import dev.cqrs.core.PreconditionFailed;
import dev.cqrs.core.PreconditionFailedException;
import dev.cqrs.core.StreamId;
import dev.cqrs.core.Version;
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
import org.postgresql.util.PSQLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Appends tagged events, and appends under an {@link AppendCondition}: one multi-statement round trip,
 * one transaction.
 *
 * <ol>
 *   <li>take the {@link ConsistencyLocks}: shared for the tags of the events written, exclusive for
 *       the items of the condition's query (advisory locks are not writes);</li>
 *   <li>check the condition: the first event after its position that matches its query, in a statement
 *       after the locks', so that its snapshot is taken once they were granted and sees every append
 *       that held one of them; an event found raises an error ({@value #CONDITION_FAILED}, from the
 *       function {@code append_condition_failed} of migration V3), which keeps the insert from running;</li>
 *   <li>the {@link Appender}'s own statement: the stream's precondition, the idempotency key and the
 *       insert, the transaction's first write (so per-stream and global order agree);</li>
 *   <li>the commit, at the driver's Sync after the three; then listeners are notified as the Appender does.</li>
 * </ol>
 *
 * Between the check and the commit no event matching the query can commit: its appender would need a
 * lock this transaction holds. A query that untagged events can match locks the events table, which
 * PostgreSQL allows only in a transaction block: those appends open one (and commit in a round trip of
 * its own). Untagged appends without a condition never come here: they stay a single autocommitted
 * statement that takes no lock.
 */
final class ConditionalAppender {

    private static final Logger log = LoggerFactory.getLogger(ConditionalAppender.class);

    /** The SQLSTATE that {@code append_condition_failed} raises; the found event's position is its DETAIL. */
    static final String CONDITION_FAILED = "CQ001";
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
        Appender.checkMetadata(stream, metadata);
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
            } catch (Appender.ConflictFound conflict) {
                appender.retryOrFail(stream, precondition, conflict, attempt, ATTEMPTS);
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
                    Optional<Version> current = appender.currentVersion(stream);
                    if (precondition.isPresent() && !precondition.get().isSatisfiedBy(current)) {
                        throw new PreconditionFailedException(new PreconditionFailed(stream, precondition.get(), current));
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
                                    ConsistencyLocks.Needed needed) throws SQLException, Appender.ConflictFound {
        try (Connection connection = pool.getConnection()) {
            if (needed.table == ConsistencyLocks.TableLock.NONE) {
                return appendWith(connection, stream, events, precondition, condition, metadata, needed);
            }
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
     * Locks, check and insert on a connection, in one round trip: in autocommit that is the whole append;
     * in a transaction (tests hold it open to commit late; appends that lock the table) the caller
     * commits. When the check finds an event, this throws {@link AppendConditionFailedException} and the
     * transaction is over (a caller's open transaction is rolled back: the error aborted it anyway).
     */
    AppendResult appendWith(Connection connection, StreamId stream, List<EncodedEvent> events,
                            Optional<Precondition> precondition, Optional<AppendCondition> condition,
                            CommandMetadata metadata, ConsistencyLocks.Needed needed)
            throws SQLException, Appender.ConflictFound {
        Prelude prelude = prelude(stream, condition, needed);
        try {
            return appender.appendWith(connection, stream, events, precondition, metadata, prelude);
        } catch (PSQLException e) {
            if (condition.isEmpty() || !CONDITION_FAILED.equals(e.getSQLState())) {
                throw e;
            }
            if (!connection.getAutoCommit()) {
                connection.rollback();
            }
            long position = Long.parseLong(e.getServerErrorMessage().getDetail());
            throw new AppendConditionFailedException(new AppendConditionFailed(stream, condition.get(),
                    foundAt(connection, stream.aggregateType(), position)));
        }
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
     * What runs before the Appender's statement: the locks, and the condition's check if there is one. None of
     * it writes or takes a transaction id, so the events insert stays its transaction's first write, as the
     * global log's bound requires ({@code ConditionalAppendTest} checks every kind).
     */
    Prelude prelude(StreamId stream, Optional<AppendCondition> condition, ConsistencyLocks.Needed needed) {
        return condition.isPresent()
                ? lockAndCheck(stream.aggregateType(), condition.get(), needed)
                : locks.prelude(schema, needed);
    }

    /** The locks, then the check that raises {@value #CONDITION_FAILED} on the first matching event after the position. */
    private Prelude lockAndCheck(String aggregateType, AppendCondition condition, ConsistencyLocks.Needed needed) {
        Prelude lock = locks.prelude(schema, needed);
        String check = "SELECT " + schema + ".append_condition_failed(global_position) FROM (SELECT global_position FROM "
                + schema + ".events WHERE " + QuerySql.aggregateTypeCondition(condition.failIfEventsMatch())
                + " AND global_position > ? AND " + QuerySql.condition(condition.failIfEventsMatch())
                + " ORDER BY global_position LIMIT 1) AS found; ";
        return new Prelude() {
            @Override
            public String sql() {
                return lock.sql() + check;
            }

            @Override
            public int bind(PreparedStatement ps) throws SQLException {
                int p = lock.bind(ps);
                ps.setString(p++, aggregateType);
                ps.setLong(p++, condition.after());
                return QuerySql.bind(ps.getConnection(), ps, p, condition.failIfEventsMatch());
            }

            @Override
            public int statements() {
                return lock.statements() + 1;
            }
        };
    }

    /** The event the check found (committed, so readable now). */
    private AppendConditionFailed.Found foundAt(Connection connection, String aggregateType, long position)
            throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT aggregate_id, sequence, event_type, tags FROM "
                + schema + ".events WHERE global_position = ?")) {
            ps.setLong(1, position);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new SQLException("the event at position " + position + " that failed an append condition is gone");
                }
                return new AppendConditionFailed.Found(position, StreamId.of(aggregateType, rs.getString(1)),
                        EventNumber.of(rs.getLong(2)), rs.getString(3), Rows.tags(rs, 4));
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
