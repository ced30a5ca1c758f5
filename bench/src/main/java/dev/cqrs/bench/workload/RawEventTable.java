package dev.cqrs.bench.workload;

import com.zaxxer.hikari.HikariDataSource;
import dev.cqrs.core.codec.EncodedEvent;
import dev.cqrs.embedded.postgres.TestDatabase;
import dev.cqrs.postgres.PostgresEventStore;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The raw baseline: plain JDBC inserts into a table of exactly our events table's shape (it is made
 * by our store's own migrations, in a schema of its own), with no precondition, no idempotency key,
 * no NOTIFY and no load before the write: what the server can do with these rows at best.
 * Every insert is autocommitted, so one insert statement is one transaction and one WAL flush.
 */
public final class RawEventTable implements AutoCloseable {

    private static final String COLUMNS = "(global_position, aggregate_type, aggregate_id, sequence, event_type,"
            + " content_type, payload, event_id, correlation_id)";
    private static final String ROW = "(?, ?, ?, ?, ?, ?, ?, ?, ?)";

    private final HikariDataSource pool;
    private final String table;
    /** The raw side numbers rows itself: the cheapest way to fill the primary key. */
    private final AtomicLong nextPosition = new AtomicLong(1);
    private final ConcurrentHashMap<Integer, String> insertSql = new ConcurrentHashMap<>();

    private RawEventTable(HikariDataSource pool, String schema) {
        this.pool = pool;
        this.table = schema + ".events";
    }

    /** Creates the table in {@code schema} of {@code database} with our store's migrations. */
    public static RawEventTable create(TestDatabase database, String schema) {
        PostgresEventStore.builder(database.jdbcUrl(), database.user(), database.password())
                .schema(schema).build().close();
        return new RawEventTable(Pools.hikari(database, "raw-" + schema, true), schema);
    }

    /**
     * Creates the table in {@code schema} with our store's migrations up to {@code version} only (e.g.
     * {@code "1"}, the events table before tags): a baseline for what a later migration costs.
     */
    public static RawEventTable createAtVersion(TestDatabase database, String schema, String version) {
        try (HikariDataSource migrating = Pools.hikari(database, "migrate-" + schema, true)) {
            org.flywaydb.core.Flyway.configure().dataSource(migrating).schemas(schema).defaultSchema(schema)
                    .createSchemas(true).table("cqrs_schema_history").locations("classpath:dev/cqrs/postgres/migration")
                    .target(version).load().migrate();
        }
        return new RawEventTable(Pools.hikari(database, "raw-" + schema, true), schema);
    }

    /** One row to insert: an event of a stream at a sequence number. */
    public record Row(String aggregateType, String aggregateId, long sequence, EncodedEvent event) {
    }

    /** Inserts rows in one autocommitted multi-row {@code INSERT ... VALUES (...), (...)}. */
    public void insert(List<Row> rows) throws SQLException {
        String sql = insertSql.computeIfAbsent(rows.size(),
                n -> "INSERT INTO " + table + " " + COLUMNS + " VALUES " + String.join(", ", java.util.Collections.nCopies(n, ROW)));
        long position = nextPosition.getAndAdd(rows.size());
        UUID correlation = UUID.randomUUID();
        try (Connection connection = pool.getConnection(); PreparedStatement ps = connection.prepareStatement(sql)) {
            int p = 1;
            for (Row row : rows) {
                ps.setLong(p++, position++);
                ps.setString(p++, row.aggregateType());
                ps.setString(p++, row.aggregateId());
                ps.setLong(p++, row.sequence());
                ps.setString(p++, row.event().eventType());
                ps.setString(p++, row.event().contentType());
                ps.setBytes(p++, row.event().payload());
                ps.setObject(p++, UUID.randomUUID());
                ps.setObject(p++, correlation);
            }
            int inserted = ps.executeUpdate();
            if (inserted != rows.size()) {
                throw new IllegalStateException("inserted " + inserted + " rows of " + rows.size());
            }
        }
    }

    /** The table's pool, for reads of the baseline's own. */
    public HikariDataSource pool() {
        return pool;
    }

    @Override
    public void close() {
        pool.close();
    }
}
