package dev.cqrs.projector;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.cqrs.codec.kafka.EventRecords;
import dev.cqrs.core.RawEvent;
import dev.cqrs.core.Redaction;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import javax.sql.DataSource;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The read-model database: the registry of each projection's generations, a schema per generation
 * (its tables and its positions), and the views in the read schema that point at the active one.
 */
final class ReadModelDatabase implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ReadModelDatabase.class);
    /** The channel on which a flush announces that a projection moved on. */
    static final String CHANNEL = "cqrs_projected";
    /** The table, in each generation's schema, of the records that generation set aside. */
    static final String DEAD_LETTERS = "cqrs_dead_letters";

    enum GenerationState { BUILDING, ACTIVE, RETIRED }

    /** A generation as the registry lists it: its number and its state. */
    record Registered(int number, GenerationState state) {
    }

    /** How far a generation got in one partition. */
    record Applied(long position, long offset) {
    }

    private final HikariDataSource pool;
    /** What writes and reads go through: the pool, or (in fault tests) a decorator of it. */
    private final DataSource dataSource;
    private final String readSchema;
    private final String registry;
    private final String url;
    private final String user;
    private final String password;

    /** The read-model database a projector's settings name, with a pool of {@code poolSize} connections. */
    static ReadModelDatabase of(ProjectorConfig config, int poolSize) {
        return new ReadModelDatabase(config.getString(ProjectorConfig.READ_MODEL_URL), config.getString(ProjectorConfig.READ_MODEL_USER),
                config.getPassword(ProjectorConfig.READ_MODEL_PASSWORD).value(), config.getString(ProjectorConfig.READ_SCHEMA),
                config.getString(ProjectorConfig.REGISTRY_SCHEMA), poolSize);
    }

    ReadModelDatabase(String url, String user, String password, String readSchema, String registrySchema, int poolSize) {
        this(url, user, password, readSchema, registrySchema, poolSize, UnaryOperator.identity());
    }

    /** For fault tests: connections come from {@code decorate} applied to the pool. */
    ReadModelDatabase(String url, String user, String password, String readSchema, String registrySchema, int poolSize,
                      UnaryOperator<DataSource> decorate) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setUsername(user);
        config.setPassword(password);
        config.setMaximumPoolSize(poolSize);
        config.setPoolName("cqrs-read-models");
        // A flush waits at most this long for a connection; then the task fails and retries, rather than
        // holding its stream thread while the database is down.
        config.setConnectionTimeout(5_000);
        // No reWriteBatchedInserts: it folds a batch into one multi-row INSERT, and an upsert that meets the
        // same key twice in one statement fails ("ON CONFLICT DO UPDATE command cannot affect row a second time").
        config.addDataSourceProperty("ApplicationName", "cqrs-projector");
        try {
            this.pool = new HikariDataSource(config);
        } catch (RuntimeException e) {
            throw Redaction.scrubbed("cannot connect to the read-model database at " + Redaction.url(url) + " as " + user, e, url);
        }
        this.dataSource = decorate.apply(pool);
        this.readSchema = readSchema;
        this.registry = registrySchema;
        this.url = url;
        this.user = user;
        this.password = password;
        // Processes starting together on a fresh database race here: IF NOT EXISTS does not make concurrent
        // creations of one schema or table safe (the loser fails on a catalog's unique index), so one at a time.
        try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            try (PreparedStatement lock = c.prepareStatement("SELECT pg_advisory_xact_lock(hashtext('cqrs-projection-registry:' || ?))")) {
                lock.setString(1, registry);
                lock.execute();
            }
            s.execute("CREATE SCHEMA IF NOT EXISTS " + registry);
            s.execute("CREATE SCHEMA IF NOT EXISTS " + readSchema);
            s.execute("CREATE TABLE IF NOT EXISTS " + registry + ".generations (projection text NOT NULL, generation int NOT NULL,"
                    + " state text NOT NULL, created_at timestamptz NOT NULL DEFAULT now(), activated_at timestamptz,"
                    + " PRIMARY KEY (projection, generation))");
            c.commit();
        } catch (SQLException e) {
            pool.close();
            throw Redaction.scrubbed("cannot prepare the read-model database at " + Redaction.url(url), e, url);
        }
    }

    DataSource pool() {
        return dataSource;
    }

    /** A connection outside the pool, for LISTEN. */
    Connection openSession() throws SQLException {
        return DriverManager.getConnection(url, user, password);
    }

    /**
     * Announces, inside the transaction of {@code s}, that a projection moved on: readers waiting for a
     * position look again once it commits.
     */
    static void announce(Statement s, String projection) throws SQLException {
        s.execute("SELECT pg_notify('" + CHANNEL + "', '" + projection + "')");
    }

    List<Registered> generations(String projection) {
        String sql = "SELECT generation, state FROM " + registry + ".generations WHERE projection = ? ORDER BY generation";
        try (Connection c = pool.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, projection);
            try (ResultSet rs = ps.executeQuery()) {
                List<Registered> generations = new ArrayList<>();
                while (rs.next()) {
                    generations.add(new Registered(rs.getInt(1), GenerationState.valueOf(rs.getString(2))));
                }
                return generations;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the generations of projection " + projection + ": " + e.getMessage(), e);
        }
    }

    Optional<Integer> activeGeneration(String projection) {
        return generations(projection).stream().filter(g -> g.state() == GenerationState.ACTIVE)
                .map(Registered::number).findFirst();
    }

    /**
     * Gives a projection its first generation (active at once) if it has none. Projector processes starting
     * together on a fresh database all call this: the check is made under the projection's lock, so one of
     * them creates generation 1 and the others find it.
     */
    void ensureFirstGeneration(PostgresProjection<?> projection) {
        if (generations(projection.name()).isEmpty()) {
            createGeneration(projection, true);
        }
    }

    /** Makes a new generation: the first (active at once) or one to rebuild into (building). */
    int createGeneration(PostgresProjection<?> projection) {
        return createGeneration(projection, false);
    }

    /**
     * Makes a new generation: its schema, the projection's tables, its positions table. The first
     * generation of a projection becomes active at once (its views are created); later ones are
     * BUILDING until {@link #activate}. Serialised per projection by an advisory lock.
     *
     * @param onlyFirst make one only if the projection has none (then 0 is returned when it has)
     */
    private int createGeneration(PostgresProjection<?> projection, boolean onlyFirst) {
        try (Connection c = pool.getConnection()) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                lockProjection(c, projection.name());
                int next;
                boolean first;
                try (PreparedStatement ps = c.prepareStatement("SELECT coalesce(max(generation), 0) FROM " + registry
                        + ".generations WHERE projection = ?")) {
                    ps.setString(1, projection.name());
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        next = rs.getInt(1) + 1;
                        first = next == 1;
                    }
                }
                if (onlyFirst && !first) {
                    c.rollback();
                    return 0;
                }
                String schema = new Generation(projection.name(), next).schema();
                s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
                s.execute("CREATE SCHEMA " + schema);
                s.execute("SET LOCAL search_path TO " + schema);
                s.execute(projection.schemaScript());
                s.execute("CREATE TABLE " + schema + ".cqrs_positions (topic text NOT NULL, partition int NOT NULL,"
                        + " position bigint NOT NULL, \"offset\" bigint NOT NULL, PRIMARY KEY (topic, partition))");
                createDeadLetters(s, schema);
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + registry + ".generations (projection, generation,"
                        + " state, activated_at) VALUES (?, ?, ?, CASE WHEN ? THEN now() END)")) {
                    ps.setString(1, projection.name());
                    ps.setInt(2, next);
                    ps.setString(3, (first ? GenerationState.ACTIVE : GenerationState.BUILDING).name());
                    ps.setBoolean(4, first);
                    ps.executeUpdate();
                }
                if (first) {
                    pointViews(s, projection, schema);
                }
                c.commit();
                log.info("Projection {}: generation {} created in schema {}{}", projection.name(), next, schema,
                        first ? " and active" : ", building");
                return next;
            } catch (SQLException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create a generation of projection " + projection.name()
                    + " (is its schema script valid SQL?): " + e.getMessage(), e);
        }
    }

    /**
     * Switches readers to {@code generation}, in one transaction (views, and the states of the generations),
     * but only once it has applied, on every partition, at least what the serving generation has: a reader
     * that saw the serving generation reach a position must see the new one have it too, or its next read
     * would go backwards. The serving generation's writes are held (its positions table locked in SHARE
     * mode) while the new one catches up to where it stopped, for at most {@code patience}.
     *
     * @return whether the switch happened; if not, try again later
     */
    boolean activate(PostgresProjection<?> projection, int generation, Optional<Integer> serving, Duration patience) {
        try (Connection c = pool.getConnection()) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                lockProjection(c, projection.name());
                if (serving.isPresent()) {
                    s.execute("SET LOCAL lock_timeout = '" + patience.toMillis() + "ms'");
                    s.execute("LOCK TABLE " + new Generation(projection.name(), serving.get()).schema() + ".cqrs_positions IN SHARE MODE");
                    if (!caughtUp(c, projection.name(), generation, serving.get(), patience)) {
                        c.rollback();
                        return false;
                    }
                }
                pointViews(s, projection, new Generation(projection.name(), generation).schema());
                try (PreparedStatement ps = c.prepareStatement("UPDATE " + registry + ".generations SET state = CASE"
                        + " WHEN generation = ? THEN 'ACTIVE' WHEN state = 'ACTIVE' THEN 'RETIRED' ELSE state END,"
                        + " activated_at = CASE WHEN generation = ? THEN now() ELSE activated_at END WHERE projection = ?")) {
                    ps.setInt(1, generation);
                    ps.setInt(2, generation);
                    ps.setString(3, projection.name());
                    ps.executeUpdate();
                }
                // Readers waiting for a position must look again: the positions that count are the new generation's.
                announce(s, projection.name());
                c.commit();
                log.info("Projection {}: generation {} is now active", projection.name(), generation);
                return true;
            } catch (SQLException e) {
                c.rollback();
                if ("55P03".equals(e.getSQLState())) {
                    return false; // the serving generation's writers held its positions longer than our patience
                }
                throw e;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot activate generation " + generation + " of " + projection.name()
                    + ": " + e.getMessage(), e);
        }
    }

    /**
     * Whether {@code generation} has applied, on every partition, at least the position {@code serving} has,
     * waiting for it up to {@code patience} (its writes go on; each read in this transaction sees them).
     */
    private boolean caughtUp(Connection c, String projection, int generation, int serving, Duration patience)
            throws SQLException {
        String sql = "SELECT count(*) FROM " + new Generation(projection, serving).schema() + ".cqrs_positions s LEFT JOIN "
                + new Generation(projection, generation).schema() + ".cqrs_positions g USING (topic, partition)"
                + " WHERE s.position > coalesce(g.position, 0)";
        long deadline = System.nanoTime() + patience.toNanos();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            while (true) {
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (rs.getLong(1) == 0) {
                        return true;
                    }
                }
                if (System.nanoTime() > deadline) {
                    return false;
                }
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
    }

    /**
     * Creates the dead-letter table of a generation made before it existed (an upgrade); new generations get
     * it when they are created.
     */
    void ensureDeadLetters(Generation generation) {
        try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
            createDeadLetters(s, generation.schema());
        } catch (SQLException e) {
            throw new IllegalStateException("cannot prepare the dead-letter table of " + generation + ": " + e.getMessage(), e);
        }
    }

    /**
     * The records a generation set aside, written in the same transaction as the positions that pass them
     * (so one can never be lost between PostgreSQL and Kafka). The global position is 0 for a record whose
     * headers could not be read.
     */
    private static void createDeadLetters(Statement s, String schema) throws SQLException {
        s.execute("CREATE TABLE IF NOT EXISTS " + schema + "." + DEAD_LETTERS + " (topic text NOT NULL, partition int NOT NULL,"
                + " \"offset\" bigint NOT NULL, position bigint NOT NULL, event_id uuid, stage text NOT NULL, error text NOT NULL,"
                + " record_key text, record_value bytea, header_names text[] NOT NULL, header_values bytea[] NOT NULL,"
                + " failed_at timestamptz NOT NULL, replayed_at timestamptz, PRIMARY KEY (topic, partition, \"offset\"))");
        s.execute("CREATE INDEX IF NOT EXISTS " + DEAD_LETTERS + "_position ON " + schema + "." + DEAD_LETTERS + " (position)");
    }

    private void pointViews(Statement s, PostgresProjection<?> projection, String schema) throws SQLException {
        for (String view : projection.views()) {
            s.execute("DROP VIEW IF EXISTS " + readSchema + "." + view);
            s.execute("CREATE VIEW " + readSchema + "." + view + " AS SELECT * FROM " + schema + "." + view);
        }
    }

    private static void lockProjection(Connection c, String projection) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_xact_lock(hashtext('cqrs-projection:' || ?))")) {
            ps.setString(1, projection);
            ps.execute();
        }
    }

    /** Every partition's last applied position and offset in a generation. */
    Map<TopicPartition, Applied> applied(Generation generation) {
        String sql = "SELECT topic, partition, position, \"offset\" FROM " + generation.schema() + ".cqrs_positions";
        try (Connection c = pool.getConnection(); PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            Map<TopicPartition, Applied> applied = new HashMap<>();
            while (rs.next()) {
                applied.put(new TopicPartition(rs.getString(1), rs.getInt(2)), new Applied(rs.getLong(3), rs.getLong(4)));
            }
            return applied;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the positions of " + generation + ": " + e.getMessage(), e);
        }
    }

    /**
     * The dead letters of a generation not replayed yet, oldest first, as {@link DeadLetter}s whose
     * {@code offset} is the record's offset in its source partition.
     */
    List<DeadLetter> deadLetters(Generation generation) {
        String sql = "SELECT topic, partition, \"offset\", stage, error, failed_at, record_key, record_value, header_names,"
                + " header_values FROM " + generation.schema() + "." + DEAD_LETTERS
                + " WHERE replayed_at IS NULL ORDER BY failed_at, topic, partition, \"offset\"";
        try (Connection c = pool.getConnection(); PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            List<DeadLetter> letters = new ArrayList<>();
            while (rs.next()) {
                String source = rs.getString(1) + "-" + rs.getInt(2) + "@" + rs.getLong(3);
                RecordHeaders headers = new RecordHeaders();
                String[] names = (String[]) rs.getArray(9).getArray();
                Object[] values = (Object[]) rs.getArray(10).getArray();
                for (int i = 0; i < names.length; i++) {
                    headers.add(names[i], (byte[]) values[i]);
                }
                String key = rs.getString(7);
                byte[] value = rs.getBytes(8);
                Optional<RawEvent> event;
                try {
                    event = Optional.of(EventRecords.fromParts(key, value, headers, source));
                } catch (RuntimeException unreadable) {
                    event = Optional.empty();
                }
                letters.add(new DeadLetter(rs.getLong(3), source, rs.getString(4), rs.getString(5),
                        rs.getTimestamp(6).toInstant().toString(), event, key, value == null ? new byte[0] : value));
            }
            return letters;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the dead letters of " + generation + ": " + e.getMessage(), e);
        }
    }

    /**
     * Whether the append at {@code position} was set aside: a dead letter of the generation belongs to the
     * same transaction (one append's events share their position's upper 48 bits).
     */
    boolean isDeadLettered(Generation generation, long position) {
        String sql = "SELECT EXISTS (SELECT 1 FROM " + generation.schema() + "." + DEAD_LETTERS
                + " WHERE position >= ? AND position < ?)";
        long transaction = position >>> 16;
        try (Connection c = pool.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setLong(1, transaction << 16);
            ps.setLong(2, (transaction + 1) << 16);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the dead letters of " + generation + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        pool.close();
    }
}
