package dev.cqrs.postgres;

import dev.cqrs.core.EventNumber;
import dev.cqrs.core.RawEvent;
import dev.cqrs.core.StreamId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Every committed event of the store, in one order that readers agree on: the outbox the relay
 * publishes from, and the source of any replay.
 *
 * <p>The guarantee: reading repeatedly after the last position seen returns every committed event
 * exactly once, never skipping one whose transaction commits late. Positions are
 * {@code (transaction id << 16) + index}, so it holds if a read only returns events below a bound that
 * no transaction still to commit an event can fall under. One statement, with one snapshot S, computes
 * the bound as the smallest of
 * <ul>
 *   <li>S's xmax: every transaction that gets its id after S has an id at least that large; and</li>
 *   <li>every transaction id that S saw running, unless {@code pg_locks}, read after S, shows that
 *       transaction holding its own id's lock without holding a write lock on the events table.</li>
 * </ul>
 * Why that is enough: take an append W, still running when the read that follows looks, with an id X
 * below S's xmax. X was handed out before S, so S saw W running. An append takes its lock on the events
 * table before it gets its id (the events insert is the first write of its transaction, see
 * {@link Appender}) and keeps it until after its commit became visible, so W held that lock when
 * {@code pg_locks} was read, and X stays in the minimum. Transactions that never write the events table
 * (a report, a migration, another service's work in the same cluster) show their id's lock without an
 * events lock and drop out: they do not hold the log back at all. A transaction whose id's lock is not
 * in {@code pg_locks} stays in the minimum: it may have just ended, or it may be an append between
 * getting its id and taking that id's lock (the server does the two one after the other, and a writer
 * descheduled in between is invisible to {@code pg_locks} but already running in S). Keeping it makes
 * that one read stop short; the next read, with a newer snapshot, goes on.
 */
public final class GlobalLog {

    /**
     * One statement, one snapshot: its xmax, and the oldest transaction id it saw running that is not known
     * to be a transaction outside the events table (see the class comment). The snapshot lists 64-bit ids;
     * pg_locks shows 32-bit ones, and running transactions lie well within 2^31 of each other.
     */
    private final String boundSql;

    private final DataSource pool;
    private final String schema;

    GlobalLog(DataSource pool, String schema) {
        this.pool = pool;
        this.schema = schema;
        this.boundSql = "WITH s AS (SELECT pg_current_snapshot() AS snapshot),"
                + " locks AS MATERIALIZED (SELECT locktype, virtualtransaction, transactionid FROM pg_locks"
                + " WHERE granted AND ((locktype = 'transactionid' AND mode = 'ExclusiveLock')"
                + " OR (locktype = 'relation' AND relation = '" + schema + ".events'::regclass"
                + " AND mode IN ('RowExclusiveLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock')))),"
                + " bystanders AS (SELECT x.transactionid::text::bigint AS xid32 FROM locks x WHERE x.locktype = 'transactionid'"
                + " AND NOT EXISTS (SELECT 1 FROM locks w WHERE w.locktype = 'relation' AND w.virtualtransaction = x.virtualtransaction))"
                + " SELECT pg_snapshot_xmax(s.snapshot)::text::bigint,"
                + " (SELECT min(r.xid) FROM (SELECT pg_snapshot_xip(s.snapshot)::text::bigint AS xid) r"
                + " WHERE NOT EXISTS (SELECT 1 FROM bystanders b WHERE b.xid32 = r.xid % 4294967296))"
                + " FROM s";
    }

    /**
     * The position below which every event is final, read on {@code connection}: the events of a later
     * statement on any connection with a position below it are exactly those it will ever see there.
     */
    long visibleBound(Connection connection) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(boundSql); ResultSet rs = ps.executeQuery()) {
            rs.next();
            long next = rs.getLong(1);
            long oldestWriter = rs.getLong(2);
            long transaction = rs.wasNull() ? next : Math.min(next, oldestWriter);
            return transaction << 16;
        }
    }

    /** At most {@code maxCount} events after {@code position}, in log order. */
    public List<RawEvent> readAfter(long position, int maxCount) {
        return readAfter(position, maxCount, EventFilter.all());
    }

    /** At most {@code maxCount} events after {@code position} that pass {@code filter}, in log order. */
    public List<RawEvent> readAfter(long position, int maxCount, EventFilter filter) {
        if (maxCount < 1) {
            throw new IllegalArgumentException("maxCount must be at least 1: " + maxCount);
        }
        StringBuilder sql = new StringBuilder("SELECT global_position, aggregate_type, aggregate_id, sequence, ")
                .append(Rows.METADATA_COLUMNS).append(" FROM ").append(schema).append(".events")
                .append(" WHERE global_position > ? AND global_position < ?");
        if (!filter.aggregateTypes().isEmpty()) {
            sql.append(" AND aggregate_type = ANY (?)");
        }
        if (!filter.eventTypes().isEmpty()) {
            sql.append(" AND event_type = ANY (?)");
        }
        sql.append(" ORDER BY global_position LIMIT ?");
        String query = sql.toString();
        try {
            return SqlFailures.readWithRetry(() -> readOnce(query, position, maxCount, filter));
        } catch (SQLException e) {
            throw SqlFailures.readFailed("reading the global log after position " + position, e);
        }
    }

    private List<RawEvent> readOnce(String query, long position, int maxCount, EventFilter filter) throws SQLException {
        try (Connection connection = pool.getConnection()) {
            long bound = visibleBound(connection);
            if (bound <= position + 1) {
                return List.of();
            }
            try (PreparedStatement ps = connection.prepareStatement(query)) {
                int p = 1;
                ps.setLong(p++, position);
                ps.setLong(p++, bound);
                if (!filter.aggregateTypes().isEmpty()) {
                    ps.setArray(p++, connection.createArrayOf("text", filter.aggregateTypes().toArray()));
                }
                if (!filter.eventTypes().isEmpty()) {
                    ps.setArray(p++, connection.createArrayOf("text", filter.eventTypes().toArray()));
                }
                ps.setInt(p, maxCount);
                ps.setFetchSize(Math.min(maxCount, 1_000));
                try (ResultSet rs = ps.executeQuery()) {
                    List<RawEvent> events = new ArrayList<>();
                    while (rs.next()) {
                        events.add(new RawEvent(rs.getLong(1), StreamId.of(rs.getString(2), rs.getString(3)),
                                EventNumber.of(rs.getLong(4)), rs.getString(11), rs.getString(12), rs.getBytes(13),
                                Rows.metadata(rs, 5)));
                    }
                    return events;
                }
            }
        }
    }

    /** The position of the newest readable event, or 0 when there is none. */
    public long headPosition() {
        try (Connection connection = pool.getConnection()) {
            long bound = visibleBound(connection);
            try (PreparedStatement ps = connection.prepareStatement("SELECT coalesce(max(global_position), 0) FROM " + schema
                    + ".events WHERE global_position < ?")) {
                ps.setLong(1, bound);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                }
            }
        } catch (SQLException e) {
            throw SqlFailures.readFailed("reading the head of the global log", e);
        }
    }

    /**
     * How many committed events come after {@code position}: a reader's lag, in events. It counts the events
     * that an append still running holds back too, so a stalled log shows as lag, not as zero.
     */
    public long countAfter(long position) {
        String sql = "SELECT count(*) FROM " + schema + ".events WHERE global_position > ?";
        try (Connection connection = pool.getConnection(); PreparedStatement ps = connection.prepareStatement(sql)) {
            ps.setLong(1, position);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        } catch (SQLException e) {
            throw SqlFailures.readFailed("counting the global log after position " + position, e);
        }
    }

    /**
     * What holds the log back now: the oldest transaction that writes the events table and is still running
     * (its events, and every event after it, wait until it ends). Empty when no append is running.
     */
    public Optional<HoldUp> holdUp() {
        String sql = "WITH locks AS MATERIALIZED (SELECT pid, locktype, relation, virtualtransaction, mode FROM pg_locks WHERE granted)"
                + " SELECT a.pid, a.backend_xid::text, extract(epoch FROM (now() - a.xact_start)) * 1000, a.state,"
                + " a.application_name, left(a.query, 200), a.usename"
                + " FROM locks w JOIN pg_stat_activity a ON a.pid = w.pid"
                + " WHERE w.locktype = 'relation' AND w.relation = '" + schema + ".events'::regclass"
                + " AND w.mode IN ('RowExclusiveLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock')"
                + " AND a.backend_xid IS NOT NULL ORDER BY a.xact_start LIMIT 1";
        try (Connection connection = pool.getConnection(); PreparedStatement ps = connection.prepareStatement(sql);
             ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) {
                return Optional.empty();
            }
            return Optional.of(new HoldUp(rs.getInt(1), Long.parseLong(rs.getString(2)), Duration.ofMillis(rs.getLong(3)),
                    String.valueOf(rs.getString(4)), String.valueOf(rs.getString(5)), String.valueOf(rs.getString(6)),
                    String.valueOf(rs.getString(7))));
        } catch (SQLException e) {
            throw SqlFailures.readFailed("looking for what holds the global log back", e);
        }
    }

    /**
     * A running transaction that holds the global log back.
     *
     * @param pid             its backend's process id (pg_terminate_backend takes it)
     * @param transactionId   its transaction id (32 bits, as pg_stat_activity shows it)
     * @param age             how long its transaction has been open
     * @param state           the backend's state, e.g. "idle in transaction"
     * @param applicationName who it is, as it told the server
     * @param query           its latest statement, cut at 200 characters
     * @param user            the database user
     */
    public record HoldUp(int pid, long transactionId, Duration age, String state, String applicationName, String query,
                         String user) {

        /** A sentence for logs and health checks. */
        public String describe() {
            return "backend pid " + pid + " (transaction " + transactionId + ", user " + user + ", application '" + applicationName
                    + "', " + state + ", open for " + age.toMillis() + " ms, last statement: " + query + ")";
        }
    }
}
