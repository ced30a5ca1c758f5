package dev.cqrs.postgres;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.cqrs.core.Aggregate;
import dev.cqrs.core.Event;
import dev.cqrs.core.EventStore;
import dev.cqrs.core.EventStoreException;
import dev.cqrs.core.Names;
import dev.cqrs.core.Redaction;
import dev.cqrs.core.SnapshotStore;
import dev.cqrs.core.StreamId;
import dev.cqrs.core.dcb.DcbEventStore;
import dev.cqrs.core.entity.CompositeEntityStore;
import dev.cqrs.core.codec.EventCodec;
import dev.cqrs.core.codec.StateCodec;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An event store in one PostgreSQL schema: the event streams of every aggregate type, their
 * snapshots, the global log that the outbox relay reads, and idempotency keys.
 *
 * <pre>{@code
 * try (PostgresEventStore store = PostgresEventStore.builder(jdbcUrl, user, password).schema("cqrs").build()) {
 *     EventStore<TodoEvent> todos = store.events("todo", codec);
 *     ...
 * }
 * }</pre>
 *
 * <p>{@link #build} applies the schema's migrations (Flyway, history table {@code cqrs_schema_history})
 * unless told not to, and checks that the stored positions fit the server (see {@link GlobalLog}).
 * Appends are single autocommitted statements: a precondition is checked atomically with the write,
 * and a broken connection leaves nothing half-written.
 */
public final class PostgresEventStore implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PostgresEventStore.class);

    /** The default largest payload of one event, in bytes: fits Kafka's default 1 MiB record limit with room for headers. */
    public static final int DEFAULT_MAX_PAYLOAD_BYTES = 1_000_000;

    private final HikariDataSource pool;
    private final org.postgresql.ds.PGSimpleDataSource sessions;
    private final String schema;
    private final String channel;
    private final int snapshotsKept;
    private final Appender appender;
    private final ConditionalAppender conditionalAppender;
    private final GlobalLog globalLog;
    private final int maxPayloadBytes;
    private final StoreIdentity identity;
    private final Set<String> aggregateTypesInUse = ConcurrentHashMap.newKeySet();

    private PostgresEventStore(Builder b) {
        this.schema = b.schema;
        this.channel = b.schema + "_events_appended";
        this.snapshotsKept = b.snapshotsKept;
        HikariConfig config = PostgresPools.settings(b.jdbcUrl, b.user, b.password, "cqrs-store-" + b.schema, "cqrs-store",
                b.poolSize, b.connectionTimeout);
        config.setInitializationFailTimeout(b.connectionTimeout.toMillis());
        config.addDataSourceProperty("tcpKeepAlive", "true");
        this.sessions = new org.postgresql.ds.PGSimpleDataSource();
        sessions.setURL(b.jdbcUrl);
        sessions.setUser(b.user);
        sessions.setPassword(b.password);
        sessions.setApplicationName("cqrs-session");
        sessions.setTcpKeepAlive(true);
        sessions.setConnectTimeout((int) Math.max(1, b.connectionTimeout.toSeconds()));
        try {
            this.pool = new HikariDataSource(config);
        } catch (RuntimeException e) {
            // The cause is not kept: its message (HikariCP's, the driver's) may quote the URL and its password.
            throw Redaction.scrubbed("cannot connect to PostgreSQL at " + Redaction.url(b.jdbcUrl) + " as " + b.user + ": "
                    + rootMessage(e), e, b.jdbcUrl);
        }
        try {
            if (b.migrate) {
                migrate();
            }
            checkPositionsFitTheServer();
            this.identity = readIdentity();
        } catch (RuntimeException e) {
            pool.close();
            throw e;
        }
        this.maxPayloadBytes = b.maxPayloadBytes;
        this.appender = new Appender(pool, schema, b.notifyOnAppend ? Optional.of(channel) : Optional.empty(),
                b.maxPayloadBytes);
        this.conditionalAppender = new ConditionalAppender(pool, schema, appender);
        this.globalLog = new GlobalLog(pool, schema);
    }

    /** A store at this JDBC URL (e.g. {@code jdbc:postgresql://localhost:5432/app}), with its own connection pool. */
    public static Builder builder(String jdbcUrl, String user, String password) {
        return new Builder(jdbcUrl, user, password);
    }

    /** The event streams of one aggregate type, encoded with {@code codec}. */
    public <E> EventStore<E> events(String aggregateType, EventCodec<E> codec) {
        refuseTopicNameCollision(aggregateType);
        return new PostgresStreamStore<>(aggregateType, codec, pool, appender, conditionalAppender, schema);
    }

    /**
     * Runs {@code aggregate}'s commands over its streams (of {@code aggregate.aggregateType()}, encoded with
     * {@code codec}): the common path of a service. Configure snapshots, retries and the cache on the builder.
     *
     * <pre>{@code
     * EntityStore<Account, AccountCommand, AccountEvent> accounts = store.entities(new AccountAggregate(), codec)
     *         .retryOnConflict(3)
     *         .build();
     * }</pre>
     */
    public <S, C, E extends Event> CompositeEntityStore.Builder<S, C, E> entities(Aggregate<S, C, E> aggregate,
                                                                                EventCodec<E> codec) {
        return CompositeEntityStore.builder(aggregate, events(aggregate.aggregateType(), codec));
    }

    /**
     * The same streams for dynamic consistency boundaries: reads of the events that match a query, and
     * appends under an append condition, checked atomically with the append also against concurrent
     * appends (see {@code ConsistencyLocks}). An event's tags ({@link dev.cqrs.core.Event#eventTags()}) are
     * stored with it through either view.
     */
    public <E> DcbEventStore<E> dcb(String aggregateType, EventCodec<E> codec) {
        refuseTopicNameCollision(aggregateType);
        return new PostgresDcbStore<>(aggregateType, codec, pool, schema, conditionalAppender, appender);
    }

    /**
     * Kafka treats '.' and '_' in topic names as the same (they collide in its metric names), so two aggregate
     * types that differ only there would have topics that cannot both exist: the second could never be
     * published. Refused here, where the type is first used, not found out by the relay.
     */
    private void refuseTopicNameCollision(String aggregateType) {
        String normalized = aggregateType.replace('.', '_');
        List<String> known = new ArrayList<>(aggregateTypesInUse);
        if (!known.contains(aggregateType)) {
            known.addAll(aggregateTypes());
        }
        for (String other : known) {
            if (!other.equals(aggregateType) && other.replace('.', '_').equals(normalized)) {
                throw new IllegalArgumentException("aggregate type '" + aggregateType + "' collides with aggregate type '" + other
                        + "' of this store: Kafka treats '.' and '_' in topic names as the same, so their topics cannot both"
                        + " exist. Name one of them differently");
            }
        }
        aggregateTypesInUse.add(aggregateType);
    }

    /** The snapshots of one aggregate type, for states of {@code stateSchemaVersion}. */
    public <S> SnapshotStore<S> snapshots(String aggregateType, int stateSchemaVersion, StateCodec<S> codec) {
        return new PostgresSnapshotStore<>(aggregateType, stateSchemaVersion, codec, pool, schema, snapshotsKept);
    }

    /** Every committed event, in log order: what the outbox relay publishes. */
    public GlobalLog globalLog() {
        return globalLog;
    }

    /** A new listener for appends; close it when done. */
    public AppendNotifications listenForAppends() {
        return new AppendNotifications(this::openSession, channel);
    }

    /**
     * A connection of its own, outside the pool, for session state that must end with the session:
     * an advisory lock, a LISTEN. Closing it ends the session and releases all of it.
     */
    public Connection openSession() throws SQLException {
        return sessions.getConnection();
    }

    /**
     * The ids of the aggregates of one type, in id order, after {@code after} (exclusive): stable keyset
     * paging, whatever is appended meanwhile.
     */
    public List<String> aggregateIds(String aggregateType, Optional<String> after, int limit) {
        Names.checkVerbatim("aggregate type", aggregateType, StreamId.MAX_TYPE_LENGTH);
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1: " + limit);
        }
        String sql = "SELECT aggregate_id FROM " + schema + ".events WHERE aggregate_type = ? AND sequence = 1"
                + " AND aggregate_id > ? ORDER BY aggregate_id COLLATE \"C\" LIMIT ?";
        try (Connection connection = pool.getConnection(); PreparedStatement ps = connection.prepareStatement(sql)) {
            ps.setString(1, aggregateType);
            ps.setString(2, after.orElse(""));
            ps.setInt(3, limit);
            try (ResultSet rs = ps.executeQuery()) {
                List<String> ids = new ArrayList<>();
                while (rs.next()) {
                    ids.add(rs.getString(1));
                }
                return ids;
            }
        } catch (SQLException e) {
            throw SqlFailures.readFailed("listing " + aggregateType + " aggregates", e);
        }
    }

    /**
     * The aggregate types that have events in the store, in name order (one index probe per type, however
     * many events there are).
     */
    public List<String> aggregateTypes() {
        String sql = "WITH RECURSIVE t AS (SELECT min(aggregate_type) AS type FROM " + schema + ".events WHERE sequence = 1"
                + " UNION ALL SELECT (SELECT min(aggregate_type) FROM " + schema + ".events WHERE sequence = 1 AND aggregate_type > t.type)"
                + " FROM t WHERE t.type IS NOT NULL) SELECT type FROM t WHERE type IS NOT NULL";
        try (Connection connection = pool.getConnection(); PreparedStatement ps = connection.prepareStatement(sql);
             ResultSet rs = ps.executeQuery()) {
            List<String> types = new ArrayList<>();
            while (rs.next()) {
                types.add(rs.getString(1));
            }
            return types;
        } catch (SQLException e) {
            throw SqlFailures.readFailed("listing the aggregate types of the store", e);
        }
    }

    /** Whether the database answers now: for readiness checks. */
    public boolean isAvailable() {
        try (Connection connection = pool.getConnection()) {
            return connection.isValid(2);
        } catch (SQLException e) {
            return false;
        }
    }

    /**
     * The largest Kafka record an event of this store can make, in bytes: its payload (at most the payload
     * limit), its metadata (at most {@value Appender#MAX_METADATA_BYTES} bytes of headers and initiatedBy), and
     * room for the ids, types and fixed headers of the record format and Kafka's record overhead. The relay
     * sets its producer's and its topics' limits from it, so that whatever the store accepts, Kafka accepts.
     */
    public int maxRecordBytes() {
        return maxPayloadBytes + Appender.MAX_METADATA_BYTES + 32 * 1024;
    }

    /** The store's connection pool, for components that share its database (e.g. the relay's lock). */
    public DataSource dataSource() {
        return pool;
    }

    public String schema() {
        return schema;
    }

    /** Who this store is: its id, database and schema (see {@link StoreIdentity}). */
    public StoreIdentity identity() {
        return identity;
    }

    /**
     * The event at {@code position}, if the store has one: its id, stream and sequence. The relay checks with
     * it that the event its checkpoint names is still here.
     */
    public Optional<LoggedEvent> eventAt(long position) {
        String sql = "SELECT event_id, aggregate_type, aggregate_id, sequence FROM " + schema + ".events WHERE global_position = ?";
        try (Connection connection = pool.getConnection(); PreparedStatement ps = connection.prepareStatement(sql)) {
            ps.setLong(1, position);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                return Optional.of(new LoggedEvent(position, rs.getObject(1, UUID.class),
                        StreamId.of(rs.getString(2), rs.getString(3)), rs.getLong(4)));
            }
        } catch (SQLException e) {
            throw SqlFailures.readFailed("reading the event at position " + position, e);
        }
    }

    /** An event's place in the global log and in its stream. */
    public record LoggedEvent(long position, UUID eventId, StreamId stream, long sequence) {
    }

    private StoreIdentity readIdentity() {
        String sql = "SELECT store_id, current_database() FROM " + schema + ".store_identity";
        try (Connection connection = pool.getConnection(); PreparedStatement ps = connection.prepareStatement(sql);
             ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) {
                throw new EventStoreException("the event store in schema " + schema + " has no identity row (table "
                        + schema + ".store_identity is empty); it was damaged: restore it, or insert a new id with"
                        + " INSERT INTO " + schema + ".store_identity (store_id) VALUES (gen_random_uuid())");
            }
            return new StoreIdentity(rs.getObject(1, UUID.class), rs.getString(2), schema);
        } catch (SQLException e) {
            throw SqlFailures.readFailed("reading the identity of the event store in schema " + schema, e);
        }
    }

    private void migrate() {
        var result = Flyway.configure()
                .dataSource(pool)
                .schemas(schema)
                .defaultSchema(schema)
                .createSchemas(true)
                .table("cqrs_schema_history")
                .locations("classpath:dev/cqrs/postgres/migration")
                .load()
                .migrate();
        if (result.migrationsExecuted > 0) {
            log.info("Event store schema {}: {} migration(s) applied, now at version {}", schema, result.migrationsExecuted,
                    result.targetSchemaVersion);
        } else {
            log.debug("Event store schema {} is up to date", schema);
        }
    }

    /**
     * Positions embed transaction ids. A database restored into another cluster (pg_dump) restarts
     * transaction ids lower, which would put new events before old ones; refuse to run on it.
     */
    private void checkPositionsFitTheServer() {
        String sql = "SELECT coalesce(max(global_position) >> 16, 0), pg_snapshot_xmax(pg_current_snapshot())::text::bigint"
                + " FROM " + schema + ".events";
        try (Connection connection = pool.getConnection(); PreparedStatement ps = connection.prepareStatement(sql);
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            long newestTransaction = rs.getLong(1);
            long nextTransaction = rs.getLong(2);
            if (newestTransaction >= nextTransaction) {
                throw new EventStoreException("the events in schema " + schema + " were written by transaction "
                        + newestTransaction + ", but this server's transaction ids are only at " + nextTransaction
                        + ": the database was probably restored into another cluster. New events would sort before old"
                        + " ones; advance the server's transaction ids past it (pg_resetwal -x) before starting");
            }
        } catch (SQLException e) {
            throw SqlFailures.readFailed("checking the event store's positions", e);
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return root.getMessage();
    }

    @Override
    public void close() {
        pool.close();
    }

    /** Configures a {@link PostgresEventStore}. */
    public static final class Builder {
        private final String jdbcUrl;
        private final String user;
        private final String password;
        private String schema = "cqrs";
        private int poolSize = 10;
        private int snapshotsKept = 3;
        private boolean notifyOnAppend = true;
        private boolean migrate = true;
        private int maxPayloadBytes = DEFAULT_MAX_PAYLOAD_BYTES;
        private Duration connectionTimeout = Duration.ofSeconds(10);

        private Builder(String jdbcUrl, String user, String password) {
            this.jdbcUrl = Objects.requireNonNull(jdbcUrl, "jdbcUrl");
            this.user = Objects.requireNonNull(user, "user");
            this.password = Objects.requireNonNull(password, "password");
        }

        /** The schema holding the store's tables (default {@code cqrs}): lower-case letters, digits and {@code _}. */
        public Builder schema(String schema) {
            if (!Names.isLowerCaseIdentifier(schema, 51)) {
                throw new IllegalArgumentException("schema name '" + schema
                        + "' must be 1-51 lower-case letters, digits or _ and not start with a digit");
            }
            this.schema = schema;
            return this;
        }

        /** Connections in the pool (default 10). */
        public Builder poolSize(int poolSize) {
            if (poolSize < 1) {
                throw new IllegalArgumentException("pool size must be at least 1: " + poolSize);
            }
            this.poolSize = poolSize;
            return this;
        }

        /** Snapshots kept per aggregate (default 3). */
        public Builder snapshotsKept(int kept) {
            if (kept < 1) {
                throw new IllegalArgumentException("at least one snapshot must be kept: " + kept);
            }
            this.snapshotsKept = kept;
            return this;
        }

        /** Whether appends NOTIFY listeners (default true); without, readers of the log must poll. */
        public Builder notifyOnAppend(boolean notify) {
            this.notifyOnAppend = notify;
            return this;
        }

        /** Whether {@link #build} applies migrations (default true). */
        public Builder migrate(boolean migrate) {
            this.migrate = migrate;
            return this;
        }

        /** The largest payload of one event, in bytes (default {@value #DEFAULT_MAX_PAYLOAD_BYTES}). */
        public Builder maxPayloadBytes(int bytes) {
            if (bytes < 1) {
                throw new IllegalArgumentException("the payload limit must be positive: " + bytes);
            }
            this.maxPayloadBytes = bytes;
            return this;
        }

        /** How long to wait for a connection (default 10 s). */
        public Builder connectionTimeout(Duration timeout) {
            this.connectionTimeout = Objects.requireNonNull(timeout, "timeout");
            return this;
        }

        /**
         * Connects, migrates and checks the store.
         *
         * @throws EventStoreException when the database cannot be reached or is not usable
         */
        public PostgresEventStore build() {
            return new PostgresEventStore(this);
        }
    }
}
