package dev.cqrs.postgres;

import dev.cqrs.core.AppendResult;
import dev.cqrs.core.Before;
import dev.cqrs.core.CommandMetadata;
import dev.cqrs.core.Event;
import dev.cqrs.core.EventNumber;
import dev.cqrs.core.EventStore;
import dev.cqrs.core.EventStoreException;
import dev.cqrs.core.Names;
import dev.cqrs.core.Precondition;
import dev.cqrs.core.Since;
import dev.cqrs.core.StreamId;
import dev.cqrs.core.Version;
import dev.cqrs.core.VersionedEvent;
import dev.cqrs.core.VersionedEventWithMetadata;
import dev.cqrs.core.codec.CodecException;
import dev.cqrs.core.codec.EncodedEvent;
import dev.cqrs.core.codec.EventCodec;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import javax.sql.DataSource;

/** The streams of one aggregate type, encoded and decoded with its codec. */
final class PostgresStreamStore<E> implements EventStore<E> {

    private final String aggregateType;
    private final EventCodec<E> codec;
    private final DataSource pool;
    private final Appender appender;
    private final ConditionalAppender taggedAppender;
    private final String forwardSql;
    private final String backwardSql;
    /** What folding needs: no metadata, tags or ids to read and decode. */
    private final String foldSql;

    PostgresStreamStore(String aggregateType, EventCodec<E> codec, DataSource pool, Appender appender,
                        ConditionalAppender taggedAppender, String schema) {
        this.aggregateType = Names.checkVerbatim("aggregate type", aggregateType, StreamId.MAX_TYPE_LENGTH);
        this.codec = Objects.requireNonNull(codec, "codec");
        this.pool = pool;
        this.appender = appender;
        this.taggedAppender = taggedAppender;
        String select = "SELECT sequence, " + Rows.METADATA_COLUMNS + " FROM " + schema
                + ".events WHERE aggregate_type = ? AND aggregate_id = ? ";
        this.forwardSql = select + "AND sequence > ? ORDER BY sequence LIMIT ?";
        this.backwardSql = select + "AND sequence < ? ORDER BY sequence DESC LIMIT ?";
        this.foldSql = "SELECT sequence, event_type, content_type, payload FROM " + schema
                + ".events WHERE aggregate_type = ? AND aggregate_id = ? AND sequence > ? ORDER BY sequence LIMIT ?";
    }

    @Override
    public String aggregateType() {
        return aggregateType;
    }

    @Override
    public List<VersionedEventWithMetadata<E>> readEvents(String aggregateId, Since since, int maxCount) {
        StreamId stream = StreamId.of(aggregateType, aggregateId);
        return read(stream, forwardSql, since.afterNumber(), maxCount, rs -> withMetadata(stream, rs));
    }

    @Override
    public List<VersionedEvent<E>> readEventsWithoutMetadata(String aggregateId, Since since, int maxCount) {
        StreamId stream = StreamId.of(aggregateType, aggregateId);
        return read(stream, foldSql, since.afterNumber(), maxCount, rs -> {
            EventNumber sequence = EventNumber.of(rs.getLong(1));
            return new VersionedEvent<>(sequence, decode(stream, sequence, rs.getString(2), rs.getString(3), rs.getBytes(4)));
        });
    }

    @Override
    public List<VersionedEventWithMetadata<E>> readEventsBackward(String aggregateId, Before before, int maxCount) {
        StreamId stream = StreamId.of(aggregateType, aggregateId);
        return read(stream, backwardSql, before.beforeNumber(), maxCount, rs -> withMetadata(stream, rs));
    }

    /** One row of a stream: what a read makes of it. */
    @FunctionalInterface
    private interface RowReader<T> {
        T read(ResultSet rs) throws SQLException;
    }

    private VersionedEventWithMetadata<E> withMetadata(StreamId stream, ResultSet rs) throws SQLException {
        EventNumber sequence = EventNumber.of(rs.getLong(1));
        return new VersionedEventWithMetadata<>(sequence, decode(stream, sequence, rs.getString(8), rs.getString(9),
                rs.getBytes(10)), Rows.metadata(rs, 2));
    }

    private <T> List<T> read(StreamId stream, String sql, long bound, int maxCount, RowReader<T> row) {
        if (maxCount < 0) {
            throw new IllegalArgumentException("maxCount must not be negative: " + maxCount);
        }
        if (maxCount == 0) {
            return List.of();
        }
        try {
            return SqlFailures.readWithRetry(() -> readOnce(stream, sql, bound, maxCount, row));
        } catch (SQLException e) {
            throw SqlFailures.readFailed("reading " + stream, e);
        }
    }

    private <T> List<T> readOnce(StreamId stream, String sql, long bound, int maxCount, RowReader<T> row) throws SQLException {
        try (Connection connection = pool.getConnection(); PreparedStatement ps = connection.prepareStatement(sql)) {
            ps.setString(1, stream.aggregateType());
            ps.setString(2, stream.aggregateId());
            ps.setLong(3, bound);
            ps.setInt(4, maxCount);
            ps.setFetchSize(Math.min(maxCount, 1_000));
            try (ResultSet rs = ps.executeQuery()) {
                List<T> events = new ArrayList<>();
                while (rs.next()) {
                    events.add(row.read(rs));
                }
                return events;
            }
        }
    }

    private E decode(StreamId stream, EventNumber sequence, String eventType, String contentType, byte[] payload) {
        try {
            return codec.decode(new EncodedEvent(eventType, contentType, payload));
        } catch (CodecException e) {
            throw new EventStoreException("event " + sequence + " of " + stream + " (" + eventType + ", " + contentType
                    + ") cannot be decoded: " + e.getMessage(), e);
        }
    }

    @Override
    public Optional<Version> currentVersion(String aggregateId) {
        return appender.currentVersion(StreamId.of(aggregateType, aggregateId));
    }

    @Override
    public AppendResult append(String aggregateId, List<? extends E> events, Optional<Precondition> precondition,
                               CommandMetadata metadata) {
        StreamId stream = StreamId.of(aggregateType, aggregateId);
        Objects.requireNonNull(precondition, "precondition");
        Objects.requireNonNull(metadata, "metadata");
        List<EncodedEvent> encoded = encode(codec, events);
        for (EncodedEvent event : encoded) {
            if (!event.tags().isEmpty()) {
                // A tagged event must take its consistency locks, so that no append condition misses it.
                return taggedAppender.append(stream, encoded, precondition, Optional.empty(), metadata);
            }
        }
        return appender.append(stream, encoded, precondition, metadata);
    }

    /** The events encoded, each with its tags ({@link Event#eventTags()}; none for an object that is not an Event). */
    static <E> List<EncodedEvent> encode(EventCodec<E> codec, List<? extends E> events) {
        List<EncodedEvent> encoded = new ArrayList<>(events.size());
        for (E event : events) {
            EncodedEvent bytes = codec.encode(Objects.requireNonNull(event, "event"));
            if (event instanceof Event tagged && !tagged.eventTags().isEmpty()) {
                bytes = bytes.withTags(tagged.eventTags());
            }
            encoded.add(bytes);
        }
        return encoded;
    }

    @Override
    public Optional<AppendResult> findAppend(String idempotencyKey) {
        return appender.earlierAppend(idempotencyKey);
    }
}
