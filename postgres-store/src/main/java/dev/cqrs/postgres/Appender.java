package dev.cqrs.postgres;

import dev.cqrs.core.AppendResult;
import dev.cqrs.core.CommandMetadata;
import dev.cqrs.core.EventNumber;
import dev.cqrs.core.EventStoreException;
import dev.cqrs.core.Precondition;
import dev.cqrs.core.PreconditionFailed;
import dev.cqrs.core.PreconditionFailedException;
import dev.cqrs.core.StreamId;
import dev.cqrs.core.Version;
import dev.cqrs.core.codec.EncodedEvent;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Appends events to a stream in one SQL statement, run in autocommit, so one round trip and one
 * commit: read the stream's version, check the precondition and the idempotency key, insert the
 * events and record the key, all atomically.
 *
 * <p>Listeners are notified after the commit, not inside the appending transaction: a NOTIFY
 * makes its transaction take a database-wide lock from before its commit record until the end,
 * WAL flush included, so appends that notify commit one at a time and lose group commit
 * ({@code ./cqrs bench}: one-event commands from 8 clients ran at well under half the rate).
 * The notification is a wake-up hint (see {@link AppendNotifications}): it is sent in a
 * transaction of its own with {@code synchronous_commit} off, and appends that finish while one
 * is being sent share the next one.
 *
 * <p>The events insert is the transaction's first write, so the transaction id (and with it the
 * global position) is taken after the statement's snapshot saw every earlier append of the stream.
 * That is what keeps per-stream order and global order in agreement: do not add a write before it.
 */
final class Appender {

    private static final Logger log = LoggerFactory.getLogger(Appender.class);

    /** The most events one append may hold; the global position keeps 16 bits for the index. */
    static final int MAX_EVENTS_PER_APPEND = 10_000;
    /** The shortest time between two notifications: 1 ms. */
    private static final long NOTIFY_INTERVAL_NANOS = 1_000_000;
    /** Appends without a precondition retry a lost race this often before giving up. */
    private static final int UNCONDITIONAL_ATTEMPTS = 20;

    private final DataSource pool;
    private final String schema;
    private final Optional<String> notifyChannel;
    private final int maxPayloadBytes;
    /** Appends committed since the last notification started; see {@link #notifyListeners()}. */
    private final AtomicLong unnotified = new AtomicLong();
    private final AtomicBoolean notifying = new AtomicBoolean();

    Appender(DataSource pool, String schema, Optional<String> notifyChannel, int maxPayloadBytes) {
        this.pool = pool;
        this.schema = schema;
        this.notifyChannel = notifyChannel;
        this.maxPayloadBytes = maxPayloadBytes;
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
        long bytes = metadata.initiatedBy().map(who -> who.getBytes(java.nio.charset.StandardCharsets.UTF_8).length).orElse(0);
        for (var header : metadata.headers().entrySet()) {
            bytes += header.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8).length
                    + header.getValue().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
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
            StreamId.checkName("event type", event.eventType(), StreamId.MAX_TYPE_LENGTH);
            StreamId.checkName("content type", event.contentType(), StreamId.MAX_TYPE_LENGTH);
            if (event.payload().length > maxPayloadBytes) {
                throw new IllegalArgumentException("the " + event.eventType() + " event for " + stream + " is "
                        + event.payload().length + " bytes; the limit is " + maxPayloadBytes + " bytes per event");
            }
        }
    }

    /**
     * Asks the notifier to send one NOTIFY that starts after this append committed. The appending thread
     * does not wait for it. The notifier sends at most one per {@link #NOTIFY_INTERVAL_NANOS}, covering
     * every append that committed before it started, so busy writers cost the server a few hundred small
     * transactions a second, not one per append, and a reader still wakes within about a millisecond.
     */
    void notifyListeners() {
        if (notifyChannel.isEmpty()) {
            return;
        }
        unnotified.incrementAndGet();
        if (notifying.compareAndSet(false, true)) {
            Thread.ofVirtual().name("cqrs-append-notifier").start(this::drainNotifications);
        }
    }

    /** Sends notifications while appends keep committing, then ends; the next append starts another. */
    private void drainNotifications() {
        try {
            while (true) {
                unnotified.set(0); // every append counted so far has committed: the NOTIFY below covers them
                long started = System.nanoTime();
                sendNotification(notifyChannel.orElseThrow());
                long rest = NOTIFY_INTERVAL_NANOS - (System.nanoTime() - started);
                if (rest > 0) {
                    java.util.concurrent.locks.LockSupport.parkNanos(rest);
                }
                if (unnotified.get() == 0) {
                    notifying.set(false);
                    // An append that counted itself after the check above and saw `notifying` still set
                    // would go unannounced: take the job back if so.
                    if (unnotified.get() == 0 || !notifying.compareAndSet(false, true)) {
                        return;
                    }
                }
            }
        } catch (RuntimeException e) {
            notifying.set(false);
            throw e;
        }
    }

    private void sendNotification(String channel) {
        try (Connection connection = pool.getConnection();
             PreparedStatement ps = connection.prepareStatement(
                     "SELECT set_config('synchronous_commit', 'off', true), pg_notify(?, '')")) {
            ps.setString(1, channel);
            ps.execute();
        } catch (SQLException e) {
            // The events are committed; readers of the log poll now and then, so a lost hint only delays them.
            log.warn("Could not notify listeners on channel {} of an append: {}", channel, SqlFailures.describe(e));
        }
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
        String sql = sql(precondition, key.isPresent());
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
        try (PreparedStatement ps = connection.prepareStatement(prelude.sql() + sql)) {
            int p = prelude.bind(ps);
            ps.setString(p++, stream.aggregateType());
            ps.setString(p++, stream.aggregateId());
            if (key.isPresent()) {
                ps.setString(p++, key.get());
            }
            ps.setString(p++, stream.aggregateType());
            ps.setString(p++, stream.aggregateId());
            ps.setObject(p++, metadata.correlationId());
            ps.setObject(p++, metadata.causationId().orElse(null));
            ps.setString(p++, metadata.initiatedBy().orElse(null));
            ps.setArray(p++, Rows.headerArray(connection, metadata));
            ps.setArray(p++, connection.createArrayOf("text", types));
            ps.setArray(p++, connection.createArrayOf("text", contentTypes));
            ps.setArray(p++, connection.createArrayOf("bytea", payloads));
            ps.setArray(p++, connection.createArrayOf("uuid", eventIds));
            ps.setArray(p++, connection.createArrayOf("text", tags));
            if (precondition.orElse(null) instanceof Precondition.ExpectedVersion(Version.Number expected)) {
                ps.setLong(p++, expected.asLong());
            }
            if (key.isPresent()) {
                ps.setString(p++, key.get());
                ps.setString(p++, stream.aggregateType());
                ps.setString(p++, stream.aggregateId());
            }
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
        try (PreparedStatement ps = connection.prepareStatement(prelude.sql() + oneEventSql(precondition))) {
            int p = prelude.bind(ps);
            ps.setString(p++, stream.aggregateType());
            ps.setString(p++, stream.aggregateId());
            ps.setString(p++, event.eventType());
            ps.setString(p++, event.contentType());
            ps.setBytes(p++, event.payload());
            ps.setObject(p++, UUID.randomUUID());
            ps.setObject(p++, metadata.correlationId());
            ps.setObject(p++, metadata.causationId().orElse(null));
            ps.setString(p++, metadata.initiatedBy().orElse(null));
            ps.setArray(p++, Rows.headerArray(connection, metadata));
            ps.setArray(p++, Rows.tagArray(connection, event.tags()));
            ps.setString(p++, stream.aggregateType());
            ps.setString(p++, stream.aggregateId());
            if (precondition.orElse(null) instanceof Precondition.ExpectedVersion(Version.Number expected)) {
                ps.setLong(p++, expected.asLong());
            }
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

    /**
     * The one-event statement for one kind of precondition. Parameters, in order: type, id, event
     * type, content type, payload, event id, correlation, causation, initiated by, headers, tags, type, id,
     * [expected version].
     */
    private String oneEventSql(Optional<Precondition> precondition) {
        return "INSERT INTO " + schema + ".events (global_position, aggregate_type, aggregate_id, sequence, event_type,"
                + " content_type, payload, event_id, correlation_id, causation_id, initiated_by, headers, tags)"
                + " SELECT pg_current_xact_id()::text::bigint << 16, ?::text, ?::text, coalesce(current.version, 0) + 1,"
                + " ?::text, ?::text, ?::bytea, ?::uuid, ?::uuid, ?::uuid, ?::text, ?::text[], ?::text[]"
                + " FROM (SELECT max(sequence) AS version FROM " + schema + ".events"
                + " WHERE aggregate_type = ? AND aggregate_id = ?) AS current"
                + " WHERE " + condition(precondition) + " RETURNING global_position, sequence";
    }

    /** What a precondition asks of {@code current.version}, the stream's version as the statement reads it. */
    private static String condition(Optional<Precondition> precondition) {
        return switch (precondition.orElse(null)) {
            case null -> "true";
            case Precondition.New n -> "current.version IS NULL";
            case Precondition.Exists e -> "current.version IS NOT NULL";
            case Precondition.ExpectedVersion(Version.Initial i) -> "current.version IS NULL";
            case Precondition.ExpectedVersion(Version.Number v) -> "current.version = ?::bigint";
        };
    }

    /**
     * The statement for one kind of precondition, with or without an idempotency key. Parameters, in
     * order: type, id, [key], type, id, correlation, causation, initiated by, headers, event types,
     * content types, payloads, event ids, tags (comma-joined, NULL when none), [expected version], [key, type, id].
     */
    private String sql(Optional<Precondition> precondition, boolean withKey) {
        String condition = condition(precondition);
        StringBuilder sql = new StringBuilder(1_200)
                .append("WITH current AS (SELECT max(sequence) AS version FROM ").append(schema)
                .append(".events WHERE aggregate_type = ? AND aggregate_id = ?)");
        if (withKey) {
            sql.append(", earlier AS (SELECT 1 FROM ").append(schema)
                    .append(".idempotency_keys WHERE idempotency_key = ?)");
        }
        sql.append(", inserted AS (INSERT INTO ").append(schema).append(".events (global_position, aggregate_type,"
                        + " aggregate_id, sequence, event_type, content_type, payload, event_id, correlation_id,"
                        + " causation_id, initiated_by, headers, tags)"
                        + " SELECT (pg_current_xact_id()::text::bigint << 16) + e.ord - 1, ?::text, ?::text,"
                        + " coalesce(current.version, 0) + e.ord, e.event_type, e.content_type, e.payload, e.event_id,"
                        + " ?::uuid, ?::uuid, ?::text, ?::text[], string_to_array(e.tags, ',')"
                        + " FROM current, unnest(?::text[], ?::text[], ?::bytea[], ?::uuid[], ?::text[]) WITH ORDINALITY"
                        + " AS e(event_type, content_type, payload, event_id, tags, ord)"
                        + " WHERE ").append(condition);
        if (withKey) {
            sql.append(" AND NOT EXISTS (SELECT 1 FROM earlier)");
        }
        sql.append(" RETURNING global_position, sequence)");
        if (withKey) {
            sql.append(", kept AS (INSERT INTO ").append(schema).append(".idempotency_keys (idempotency_key,"
                    + " aggregate_type, aggregate_id, first_sequence, last_sequence, first_position, last_position)"
                    + " SELECT ?::text, ?::text, ?::text, min(sequence), max(sequence), min(global_position), max(global_position)"
                    + " FROM inserted HAVING count(*) > 0)");
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
