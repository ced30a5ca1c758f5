package dev.cqrs.postgres;

import dev.cqrs.core.AppendResult;
import dev.cqrs.core.CommandMetadata;
import dev.cqrs.core.EventNumber;
import dev.cqrs.core.EventStoreException;
import dev.cqrs.core.Names;
import dev.cqrs.core.Precondition;
import dev.cqrs.core.StreamId;
import dev.cqrs.core.codec.CodecException;
import dev.cqrs.core.codec.EncodedEvent;
import dev.cqrs.core.codec.EventCodec;
import dev.cqrs.core.dcb.AppendCondition;
import dev.cqrs.core.dcb.DcbEventStore;
import dev.cqrs.core.dcb.MatchingEvents;
import dev.cqrs.core.dcb.Query;
import dev.cqrs.core.dcb.SequencedEvent;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * The DCB side of one aggregate type's streams: reads by query, and conditional appends through the
 * {@link ConditionalAppender}.
 *
 * <p>A read takes the query's {@link ConsistencyLocks} (so no append of a matching event is in
 * progress), then reads in a statement of its own, both in one round trip and one transaction. Every matching event of a
 * transaction that took its id before that statement's snapshot is then committed and visible, so
 * the read covers every position below the snapshot's {@code xmax << 16}; it reports that bound minus
 * one, and a decision's append condition names it as {@code after}: the condition counts exactly the
 * matching events that the read could not see.
 */
final class PostgresDcbStore<E> implements DcbEventStore<E> {

    private final String aggregateType;
    private final EventCodec<E> codec;
    private final DataSource pool;
    private final String schema;
    private final ConditionalAppender appender;
    private final Appender plainAppender;

    PostgresDcbStore(String aggregateType, EventCodec<E> codec, DataSource pool, String schema,
                     ConditionalAppender appender, Appender plainAppender) {
        this.aggregateType = Names.checkVerbatim("aggregate type", aggregateType, StreamId.MAX_TYPE_LENGTH);
        this.codec = Objects.requireNonNull(codec, "codec");
        this.pool = pool;
        this.schema = schema;
        this.appender = appender;
        this.plainAppender = plainAppender;
    }

    @Override
    public String aggregateType() {
        return aggregateType;
    }

    @Override
    public MatchingEvents<E> read(Query query, long after, int maxCount) {
        Objects.requireNonNull(query, "query");
        if (after < 0) {
            throw new IllegalArgumentException("the position to read after must not be negative: " + after);
        }
        if (maxCount < 0) {
            throw new IllegalArgumentException("maxCount must not be negative: " + maxCount);
        }
        // xmax comes from the statement whose snapshot the rows come from; one row more than asked for
        // tells whether the read was cut short.
        String sql = "WITH bound AS (SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint << 16 AS b)"
                + " SELECT bound.b, e.* FROM bound LEFT JOIN LATERAL (SELECT global_position, aggregate_id, sequence, "
                + Rows.METADATA_COLUMNS + " FROM " + schema + ".events WHERE " + QuerySql.aggregateTypeCondition(query)
                + " AND global_position > ?"
                + " AND " + QuerySql.condition(query) + " ORDER BY global_position LIMIT ?) e ON true"
                + " ORDER BY e.global_position";
        ConsistencyLocks.Needed needed = new ConsistencyLocks.Needed();
        appender.locks().addReadLocks(needed, aggregateType, query);
        try {
            return SqlFailures.readWithRetry(() -> readOnce(sql, query, after, maxCount, needed));
        } catch (SQLException e) {
            throw SqlFailures.readFailed("reading the " + aggregateType + " events matching " + query, e);
        }
    }

    /**
     * The locks' statements and the read, in one multi-statement prepared statement: one round trip. The
     * driver sends them before a single Sync, and PostgreSQL ends such a pipeline's transaction only at
     * the Sync, so the advisory locks are held while the read runs, and the read's snapshot is taken once
     * they were granted ({@code ConditionalAppendTest} pins this down). {@code LOCK TABLE} (for a query
     * that untagged events can match) refuses to run outside a transaction block: those reads open one.
     */
    private MatchingEvents<E> readOnce(String sql, Query query, long after, int maxCount, ConsistencyLocks.Needed needed)
            throws SQLException {
        try (Connection connection = pool.getConnection()) {
            boolean explicit = needed.table != ConsistencyLocks.TableLock.NONE;
            if (!explicit) {
                return select(connection, sql, query, after, maxCount, needed);
            }
            connection.setAutoCommit(false);
            try {
                MatchingEvents<E> read = select(connection, sql, query, after, maxCount, needed);
                connection.commit(); // releases the locks; the read wrote nothing
                return read;
            } finally {
                try {
                    connection.rollback();
                    connection.setAutoCommit(true);
                } catch (SQLException e) {
                    // a broken connection: the pool discards it, and its locks ended with its session
                }
            }
        }
    }

    private MatchingEvents<E> select(Connection connection, String sql, Query query, long after, int maxCount,
                                     ConsistencyLocks.Needed needed) throws SQLException {
        Prelude locks = appender.locks().prelude(schema, needed);
        try (PreparedStatement ps = connection.prepareStatement(locks.sql() + sql)) {
            int p = locks.bind(ps);
            ps.setString(p++, aggregateType);
            ps.setLong(p++, after);
            p = QuerySql.bind(connection, ps, p, query);
            ps.setLong(p, (long) maxCount + 1);
            List<SequencedEvent<E>> events = new ArrayList<>();
            long bound = 0;
            boolean more = false;
            try (ResultSet rs = locks.execute(ps)) {
                while (rs.next()) {
                    bound = rs.getLong(1);
                    if (rs.getObject(2) == null) {
                        break; // no matching event: the one row carries the bound alone
                    }
                    if (events.size() == maxCount) {
                        more = true;
                        break;
                    }
                    events.add(sequenced(rs));
                }
            }
            long covered = more ? events.isEmpty() ? after : events.getLast().position() : Math.max(after, bound - 1);
            return new MatchingEvents<>(query, events, covered);
        }
    }

    /** Columns: bound, position, id, sequence, then {@link Rows#METADATA_COLUMNS} from 5. */
    private SequencedEvent<E> sequenced(ResultSet rs) throws SQLException {
        long position = rs.getLong(2);
        StreamId stream = StreamId.of(aggregateType, rs.getString(3));
        EventNumber sequence = EventNumber.of(rs.getLong(4));
        String eventType = rs.getString(11);
        String contentType = rs.getString(12);
        E event;
        try {
            event = codec.decode(new EncodedEvent(eventType, contentType, rs.getBytes(13)));
        } catch (CodecException e) {
            throw new EventStoreException("event " + sequence + " of " + stream + " at position " + position + " ("
                    + eventType + ", " + contentType + ") cannot be decoded: " + e.getMessage(), e);
        }
        return new SequencedEvent<>(position, stream, sequence, event, Rows.tags(rs, 14), Rows.metadata(rs, 5));
    }

    @Override
    public AppendResult append(String aggregateId, List<? extends E> events, Optional<Precondition> precondition,
                               Optional<AppendCondition> condition, CommandMetadata metadata) {
        StreamId stream = StreamId.of(aggregateType, aggregateId);
        Objects.requireNonNull(precondition, "precondition");
        Objects.requireNonNull(condition, "condition");
        Objects.requireNonNull(metadata, "metadata");
        List<EncodedEvent> encoded = PostgresStreamStore.encode(codec, events);
        if (condition.isEmpty() && encoded.stream().allMatch(e -> e.tags().isEmpty())) {
            return plainAppender.append(stream, encoded, precondition, metadata); // no lock to take
        }
        return appender.append(stream, encoded, precondition, condition, metadata);
    }

    @Override
    public Optional<AppendResult> findAppend(String idempotencyKey) {
        return plainAppender.earlierAppend(idempotencyKey);
    }
}
