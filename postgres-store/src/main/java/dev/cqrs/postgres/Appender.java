package dev.cqrs.postgres;

import dev.cqrs.core.AppendResult;
import dev.cqrs.core.CommandMetadata;
import dev.cqrs.core.EventNumber;
import dev.cqrs.core.EventStoreException;
import dev.cqrs.core.Names;
import dev.cqrs.core.Precondition;
import dev.cqrs.core.PreconditionFailed;
import dev.cqrs.core.PreconditionFailedException;
import dev.cqrs.core.StreamId;
import dev.cqrs.core.Version;
import dev.cqrs.core.codec.EncodedEvent;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Appends events to a stream in one SQL statement, run in autocommit, so one round trip and one
 * commit: read the stream's version, check the precondition and the idempotency key, insert the
 * events and record the key, all atomically.
 *
 * <p>Listeners are notified after the commit, by the {@link AppendNotifier}, never inside the appending
 * transaction (see there why).
 *
 * <p>The statements are built once, one per kind of precondition, with and without an idempotency key,
 * and written with named parameters ({@link NamedSql}).
 *
 * <p>The events insert is the transaction's first write, so the transaction id (and with it the
 * global position) is taken after the statement's snapshot saw every earlier append of the stream.
 * That is what keeps per-stream order and global order in agreement: do not add a write before it.
 */
final class Appender {

    private static final Logger log = LoggerFactory.getLogger(Appender.class);

    /** The most events one append may hold; the global position keeps 16 bits for the index. */
    static final int MAX_EVENTS_PER_APPEND = 10_000;
    /** Appends without a precondition retry a lost race this often before giving up. */
    private static final int UNCONDITIONAL_ATTEMPTS = 20;

    /** What a precondition asks of the stream's version as the statement reads it: one statement each. */
    private enum Condition {
        ANY("true"),
        ABSENT("current.version IS NULL"),
        PRESENT("current.version IS NOT NULL"),
        AT("current.version = :expected_version::bigint");

        final String sql;

        Condition(String sql) {
            this.sql = sql;
        }

        static Condition of(Optional<Precondition> precondition) {
            return switch (precondition.orElse(null)) {
                case null -> ANY;
                case Precondition.New n -> ABSENT;
                case Precondition.Exists e -> PRESENT;
                case Precondition.ExpectedVersion(Version.Initial i) -> ABSENT;
                case Precondition.ExpectedVersion(Version.Number v) -> AT;
            };
        }
    }

    private final DataSource pool;
    private final String schema;
    private final Optional<AppendNotifier> notifier;
    private final int maxPayloadBytes;
    private final Map<Condition, NamedSql> oneEvent = new EnumMap<>(Condition.class);
    private final Map<Condition, NamedSql> withoutKey = new EnumMap<>(Condition.class);
    private final Map<Condition, NamedSql> withKey = new EnumMap<>(Condition.class);

    Appender(DataSource pool, String schema, Optional<String> notifyChannel, int maxPayloadBytes) {
        this.pool = pool;
        this.schema = schema;
        this.notifier = notifyChannel.map(channel -> new AppendNotifier(pool, channel));
        this.maxPayloadBytes = maxPayloadBytes;
        for (Condition condition : Condition.values()) {
            oneEvent.put(condition, NamedSql.parse(oneEventSql(condition)));
            withoutKey.put(condition, NamedSql.parse(sql(condition, false)));
            withKey.put(condition, NamedSql.parse(sql(condition, true)));
        }
    }

    /**
     * Appends, reporting a failed precondition only with a version that fails it. The version is read again
     * after the statement appended nothing (the statement's own view of the stream is gone by then): when a
     * concurrent writer changed the stream so that the precondition holds after all (an {@code Exists} whose
     * stream was created meanwhile, an {@code ExpectedVersion(n)} that the stream just reached), the append is
     * sent again rather than refused with a version that satisfies it. So a conflict always names the version
     * that beat the command.
     */
    AppendResult append(StreamId stream, List<EncodedEvent> events, Optional<Precondition> precondition,
                        CommandMetadata metadata) {
        check(stream, events);
        checkMetadata(stream, metadata);
        for (int attempt = 1; ; attempt++) {
            try {
                AppendResult result = appendOnce(stream, events, precondition, metadata);
                if (!result.replayed()) {
                    notifyListeners();
                }
                return result;
            } catch (ConflictFound conflict) {
                retryOrFail(stream, precondition, conflict, attempt, UNCONDITIONAL_ATTEMPTS);
            } catch (SQLException e) {
                if (attempt == 1 && SqlFailures.isConnectionFailure(e) && metadata.idempotencyKey().isPresent()) {
                    // The append may or may not have committed before the connection broke; with a key,
                    // sending it again is safe: it appends, or it finds the key and returns that result.
                    log.debug("The connection broke while appending to {}; sending it again with its idempotency key", stream);
                    continue;
                }
                if (SqlFailures.isUniqueViolation(e, "idempotency_keys_pkey")) {
                    return earlierAppend(metadata.idempotencyKey().orElseThrow())
                            .orElseThrow(() -> SqlFailures.appendFailed(stream.toString(), e));
                }
                if (!SqlFailures.isUniqueViolation(e, "events_stream_sequence")) {
                    throw SqlFailures.appendFailed(stream.toString(), e);
                }
                // Another append to the stream committed between our read of its version and our insert.
                Optional<AppendResult> earlier = metadata.idempotencyKey().flatMap(this::earlierAppend);
                if (earlier.isPresent()) {
                    return earlier.get();
                }
                Optional<Version> current = currentVersion(stream);
                if (precondition.isPresent() && !precondition.get().isSatisfiedBy(current)) {
                    throw new PreconditionFailedException(new PreconditionFailed(stream, precondition.get(), current));
                }
                if (attempt >= UNCONDITIONAL_ATTEMPTS) {
                    throw SqlFailures.appendFailed(stream.toString(), e);
                }
                log.debug("Lost a race appending to {} ({}); trying again", stream,
                        precondition.map(p -> p + " still holds").orElse("no precondition"));
            }
        }
    }

    /** The append statement wrote nothing because the stream failed the precondition as the statement saw it. */
    static final class ConflictFound extends Exception {
        ConflictFound(StreamId stream) {
            super("nothing appended to " + stream + ": the precondition failed", null, false, false);
        }
    }

    /**
     * The most bytes an append's metadata may take (header names and values, who initiated it, as UTF-8): with
     * the payload limit, it bounds the whole Kafka record the relay makes of each event.
     */
    static final int MAX_METADATA_BYTES = 65_536;

    static void checkMetadata(StreamId stream, CommandMetadata metadata) {
        long bytes = metadata.initiatedBy().map(who -> who.getBytes(StandardCharsets.UTF_8).length).orElse(0);
        for (var header : metadata.headers().entrySet()) {
            bytes += header.getKey().getBytes(StandardCharsets.UTF_8).length
                    + header.getValue().getBytes(StandardCharsets.UTF_8).length;
        }
        if (bytes > MAX_METADATA_BYTES) {
            throw new IllegalArgumentException("the metadata of the append to " + stream + " (headers and initiatedBy) is "
                    + bytes + " bytes as UTF-8; the limit is " + MAX_METADATA_BYTES + " bytes, so that every event fits in a"
                    + " Kafka record");
        }
    }

    void check(StreamId stream, List<EncodedEvent> events) {
        if (events.isEmpty()) {
            throw new IllegalArgumentException("nothing to append to " + stream + ": the event list is empty");
        }
        if (events.size() > MAX_EVENTS_PER_APPEND) {
            throw new IllegalArgumentException("an append holds at most " + MAX_EVENTS_PER_APPEND + " events; "
                    + stream + " got " + events.size());
        }
        for (EncodedEvent event : events) {
            Names.checkVerbatim("event type", event.eventType(), StreamId.MAX_TYPE_LENGTH);
            Names.checkVerbatim("content type", event.contentType(), StreamId.MAX_TYPE_LENGTH);
            if (event.payload().length > maxPayloadBytes) {
                throw new IllegalArgumentException("the " + event.eventType() + " event for " + stream + " is "
                        + event.payload().length + " bytes; the limit is " + maxPayloadBytes + " bytes per event");
            }
        }
    }

    /** Has listeners told that an append committed (soon, without waiting; see {@link AppendNotifier}). */
    void notifyListeners() {
        notifier.ifPresent(AppendNotifier::committed);
    }

    /**
     * After a statement that appended nothing: the statement saw the precondition fail, but the version
     * read now may say otherwise (a racing writer made it hold). Returns when the append should be sent
     * again; otherwise throws the precondition failure, with the version that fails it.
     */
    void retryOrFail(StreamId stream, Optional<Precondition> precondition, ConflictFound conflict, int attempt,
                     int attempts) {
        Optional<Version> current = currentVersion(stream);
        if (precondition.isEmpty() || precondition.get().isSatisfiedBy(current)) {
            if (attempt >= attempts) {
                throw new EventStoreException("appending to " + stream + " failed: the stream kept changing under "
                        + precondition.map(Object::toString).orElse("the append") + " (" + attempt + " attempts)", conflict);
            }
            log.debug("Appending to {}: the stream changed under {} (now {}); trying again", stream,
                    precondition.map(Object::toString).orElse("no precondition"), current);
            return;
        }
        throw new PreconditionFailedException(new PreconditionFailed(stream, precondition.get(), current));
    }

    private AppendResult appendOnce(StreamId stream, List<EncodedEvent> events, Optional<Precondition> precondition,
                                    CommandMetadata metadata) throws SQLException, ConflictFound {
        try (Connection connection = pool.getConnection()) {
            return appendWith(connection, stream, events, precondition, metadata);
        }
    }

    /**
     * The append statement on a given connection: in autocommit it is the whole append; in a transaction
     * (as tests use it, to hold commits back) the caller commits. The statement must be the
     * transaction's first write. It notifies no one: {@link #append} does, after the commit.
     */
    AppendResult appendWith(Connection connection, StreamId stream, List<EncodedEvent> events,
                            Optional<Precondition> precondition, CommandMetadata metadata) throws SQLException, ConflictFound {
        return appendWith(connection, stream, events, precondition, metadata, Prelude.NONE);
    }

    /** The append statement after {@code prelude}'s statements, in one round trip (see {@link Prelude}). */
    AppendResult appendWith(Connection connection, StreamId stream, List<EncodedEvent> events,
                            Optional<Precondition> precondition, CommandMetadata metadata, Prelude prelude)
            throws SQLException, ConflictFound {
        if (events.size() == 1 && metadata.idempotencyKey().isEmpty()) {
            return appendOne(connection, stream, events.getFirst(), precondition, metadata, prelude);
        }
        Optional<String> key = metadata.idempotencyKey();
        Condition condition = Condition.of(precondition);
        NamedSql statement = (key.isPresent() ? withKey : withoutKey).get(condition);
        int n = events.size();
        String[] types = new String[n];
        String[] contentTypes = new String[n];
        byte[][] payloads = new byte[n][];
        UUID[] eventIds = new UUID[n];
        String[] tags = new String[n];
        for (int i = 0; i < n; i++) {
            EncodedEvent event = events.get(i);
            types[i] = event.eventType();
            contentTypes[i] = event.contentType();
            payloads[i] = event.payload();
            eventIds[i] = UUID.randomUUID();
            tags[i] = Rows.joinedTags(event.tags());
        }
        try (PreparedStatement ps = connection.prepareStatement(prelude.sql() + statement.sql())) {
            NamedSql.Values values = statement.values()
                    .set("aggregate_type", stream.aggregateType())
                    .set("aggregate_id", stream.aggregateId())
                    .set("correlation_id", metadata.correlationId())
                    .set("causation_id", metadata.causationId().orElse(null))
                    .set("initiated_by", metadata.initiatedBy().orElse(null))
                    .set("headers", Rows.headerArray(connection, metadata))
                    .set("event_types", connection.createArrayOf("text", types))
                    .set("content_types", connection.createArrayOf("text", contentTypes))
                    .set("payloads", connection.createArrayOf("bytea", payloads))
                    .set("event_ids", connection.createArrayOf("uuid", eventIds))
                    .set("tag_lists", connection.createArrayOf("text", tags));
            key.ifPresent(k -> values.set("idempotency_key", k));
            setExpectedVersion(values, precondition);
            values.bind(ps, prelude.bind(ps));
            try (ResultSet rs = prelude.execute(ps)) {
                rs.next();
                long inserted = rs.getLong(1);
                if (inserted == n) {
                    return new AppendResult(stream, EventNumber.of(rs.getLong(2)), EventNumber.of(rs.getLong(3)),
                            rs.getLong(4), rs.getLong(5), false);
                }
                if (key.isPresent()) {
                    // On this connection: one from the pool, while the append holds this one, could wait for ever
                    // when every connection is held by an append answering its key again.
                    Optional<AppendResult> earlier = earlierAppend(connection, key.get());
                    if (earlier.isPresent()) {
                        return earlier.get();
                    }
                }
                if (precondition.isEmpty()) {
                    throw new IllegalStateException("no row appended to " + stream + " without a precondition");
                }
                throw new ConflictFound(stream);
            }
        }
    }

    /**
     * The commonest append, one event without an idempotency key, in a leaner statement of the same
     * meaning: no arrays to unnest and no CTEs, so the server sets up a plan of a few nodes instead
     * of a dozen for every command (./cqrs bench: a fifth less server CPU per one-event append than
     * the general statement). The precondition is checked on the version
     * that the statement reads, in the same statement as the insert; a concurrent append makes the
     * insert hit the unique index, as in the general statement.
     */
    private AppendResult appendOne(Connection connection, StreamId stream, EncodedEvent event,
                                   Optional<Precondition> precondition, CommandMetadata metadata, Prelude prelude)
            throws SQLException, ConflictFound {
        NamedSql statement = oneEvent.get(Condition.of(precondition));
        try (PreparedStatement ps = connection.prepareStatement(prelude.sql() + statement.sql())) {
            NamedSql.Values values = statement.values()
                    .set("aggregate_type", stream.aggregateType())
                    .set("aggregate_id", stream.aggregateId())
                    .set("event_type", event.eventType())
                    .set("content_type", event.contentType())
                    .set("payload", event.payload())
                    .set("event_id", UUID.randomUUID())
                    .set("correlation_id", metadata.correlationId())
                    .set("causation_id", metadata.causationId().orElse(null))
                    .set("initiated_by", metadata.initiatedBy().orElse(null))
                    .set("headers", Rows.headerArray(connection, metadata))
                    .set("tags", Rows.tagArray(connection, event.tags()));
            setExpectedVersion(values, precondition);
            values.bind(ps, prelude.bind(ps));
            try (ResultSet rs = prelude.execute(ps)) {
                if (rs.next()) {
                    EventNumber sequence = EventNumber.of(rs.getLong(2));
                    long position = rs.getLong(1);
                    return new AppendResult(stream, sequence, sequence, position, position, false);
                }
            }
        }
        // Nothing was inserted, and without a key only the precondition stops an append.
        if (precondition.isEmpty()) {
            throw new IllegalStateException("no row appended to " + stream + " without a precondition");
        }
        throw new ConflictFound(stream);
    }

    private static void setExpectedVersion(NamedSql.Values values, Optional<Precondition> precondition) {
        if (precondition.orElse(null) instanceof Precondition.ExpectedVersion(Version.Number expected)) {
            values.set("expected_version", expected.asLong());
        }
    }

    /** The one-event statement for one kind of precondition. */
    private String oneEventSql(Condition condition) {
        return "INSERT INTO " + schema + ".events (global_position, aggregate_type, aggregate_id, sequence, event_type,"
                + " content_type, payload, event_id, correlation_id, causation_id, initiated_by, headers, tags)"
                + " SELECT pg_current_xact_id()::text::bigint << 16, :aggregate_type::text, :aggregate_id::text,"
                + " coalesce(current.version, 0) + 1, :event_type::text, :content_type::text, :payload::bytea, :event_id::uuid,"
                + " :correlation_id::uuid, :causation_id::uuid, :initiated_by::text, :headers::text[], :tags::text[]"
                + " FROM (SELECT max(sequence) AS version FROM " + schema + ".events"
                + " WHERE aggregate_type = :aggregate_type AND aggregate_id = :aggregate_id) AS current"
                + " WHERE " + condition.sql + " RETURNING global_position, sequence";
    }

    /**
     * The statement for one kind of precondition, with or without an idempotency key; the events come as
     * arrays (tags comma-joined, NULL when none), unnested in order.
     */
    private String sql(Condition condition, boolean withKey) {
        StringBuilder sql = new StringBuilder(1_200)
                .append("WITH current AS (SELECT max(sequence) AS version FROM ").append(schema)
                .append(".events WHERE aggregate_type = :aggregate_type AND aggregate_id = :aggregate_id)");
        if (withKey) {
            sql.append(", earlier AS (SELECT 1 FROM ").append(schema)
                    .append(".idempotency_keys WHERE idempotency_key = :idempotency_key)");
        }
        sql.append(", inserted AS (INSERT INTO ").append(schema).append(".events (global_position, aggregate_type,"
                        + " aggregate_id, sequence, event_type, content_type, payload, event_id, correlation_id,"
                        + " causation_id, initiated_by, headers, tags)"
                        + " SELECT (pg_current_xact_id()::text::bigint << 16) + e.ord - 1, :aggregate_type::text, :aggregate_id::text,"
                        + " coalesce(current.version, 0) + e.ord, e.event_type, e.content_type, e.payload, e.event_id,"
                        + " :correlation_id::uuid, :causation_id::uuid, :initiated_by::text, :headers::text[], string_to_array(e.tags, ',')"
                        + " FROM current, unnest(:event_types::text[], :content_types::text[], :payloads::bytea[], :event_ids::uuid[],"
                        + " :tag_lists::text[]) WITH ORDINALITY AS e(event_type, content_type, payload, event_id, tags, ord)"
                        + " WHERE ").append(condition.sql);
        if (withKey) {
            sql.append(" AND NOT EXISTS (SELECT 1 FROM earlier)");
        }
        sql.append(" RETURNING global_position, sequence)");
        if (withKey) {
            sql.append(", kept AS (INSERT INTO ").append(schema).append(".idempotency_keys (idempotency_key,"
                    + " aggregate_type, aggregate_id, first_sequence, last_sequence, first_position, last_position)"
                    + " SELECT :idempotency_key::text, :aggregate_type::text, :aggregate_id::text, min(sequence), max(sequence),"
                    + " min(global_position), max(global_position) FROM inserted HAVING count(*) > 0)");
        }
        sql.append(" SELECT count(*), min(sequence), max(sequence), min(global_position), max(global_position),"
                + " (SELECT version FROM current)");
        return sql.append(" FROM inserted").toString();
    }

    Optional<AppendResult> earlierAppend(String idempotencyKey) {
        try {
            return SqlFailures.readWithRetry(() -> earlierAppendOnce(idempotencyKey));
        } catch (SQLException e) {
            throw SqlFailures.readFailed("looking up idempotency key '" + idempotencyKey + "'", e);
        }
    }

    private Optional<AppendResult> earlierAppendOnce(String idempotencyKey) throws SQLException {
        try (Connection connection = pool.getConnection()) {
            return earlierAppend(connection, idempotencyKey);
        }
    }

    private Optional<AppendResult> earlierAppend(Connection connection, String idempotencyKey) throws SQLException {
        String sql = "SELECT aggregate_type, aggregate_id, first_sequence, last_sequence, first_position, last_position"
                + " FROM " + schema + ".idempotency_keys WHERE idempotency_key = ?";
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            ps.setString(1, idempotencyKey);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                return Optional.of(new AppendResult(StreamId.of(rs.getString(1), rs.getString(2)),
                        EventNumber.of(rs.getLong(3)), EventNumber.of(rs.getLong(4)), rs.getLong(5), rs.getLong(6), true));
            }
        }
    }

    Optional<Version> currentVersion(StreamId stream) {
        try (Connection connection = pool.getConnection()) {
            return currentVersion(connection, stream);
        } catch (SQLException e) {
            throw SqlFailures.readFailed("reading the version of " + stream, e);
        }
    }

    private Optional<Version> currentVersion(Connection connection, StreamId stream) throws SQLException {
        String sql = "SELECT max(sequence) FROM " + schema + ".events WHERE aggregate_type = ? AND aggregate_id = ?";
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            ps.setString(1, stream.aggregateType());
            ps.setString(2, stream.aggregateId());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                long version = rs.getLong(1);
                return rs.wasNull() ? Optional.empty() : Optional.of(Version.of(version));
            }
        }
    }
}
