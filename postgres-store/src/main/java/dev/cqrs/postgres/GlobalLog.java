package dev.cqrs.postgres;

import dev.cqrs.core.EventNumber;
import dev.cqrs.core.RawEvent;
import dev.cqrs.core.StreamId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/**
 * Every committed event of the store, in one order that readers agree on: the outbox the relay
 * publishes from, and the source of any replay.
 *
 * <p>The guarantee: reading repeatedly after the last position seen returns every committed event
 * exactly once, never skipping one whose transaction commits late. It holds because a read only
 * returns events of transactions older than the oldest transaction still running
 * ({@code pg_snapshot_xmin}); a transaction still running, or yet to start, gets a larger position.
 * The price: an event becomes readable only once every transaction that started writing before it
 * has ended, so a long write transaction anywhere in the cluster delays the log (never reorders it).
 */
public final class GlobalLog {

    /** Positions below this bound belong to transactions that have all ended. */
    static final String VISIBLE_BOUND = "(pg_snapshot_xmin(pg_current_snapshot())::text::bigint << 16)";

    private final DataSource pool;
    private final String schema;

    GlobalLog(DataSource pool, String schema) {
        this.pool = pool;
        this.schema = schema;
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
                .append(" WHERE global_position > ? AND global_position < ").append(VISIBLE_BOUND);
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
        try (Connection connection = pool.getConnection();
             PreparedStatement ps = connection.prepareStatement(query)) {
            int p = 1;
            ps.setLong(p++, position);
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
                            Rows.metadata(rs, 5), Rows.tags(rs, 14)));
                }
                return events;
            }
        }
    }

    /** The position of the newest readable event, or 0 when there is none. */
    public long headPosition() {
        return queryLong("SELECT coalesce(max(global_position), 0) FROM " + schema + ".events WHERE global_position < "
                + VISIBLE_BOUND, "reading the head of the global log");
    }

    /** How many readable events come after {@code position}: a reader's lag, in events. */
    public long countAfter(long position) {
        String sql = "SELECT count(*) FROM " + schema + ".events WHERE global_position > ? AND global_position < "
                + VISIBLE_BOUND;
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

    private long queryLong(String sql, String what) {
        try (Connection connection = pool.getConnection(); PreparedStatement ps = connection.prepareStatement(sql);
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw SqlFailures.readFailed(what, e);
        }
    }
}
