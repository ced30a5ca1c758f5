package dev.cqrs.bench.dcb;

import com.zaxxer.hikari.HikariDataSource;
import dev.cqrs.bench.workload.Pools;
import dev.cqrs.bench.workload.RawEventTable;
import dev.cqrs.bench.workload.Readings;
import dev.cqrs.core.codec.EncodedEvent;
import dev.cqrs.core.codec.EventCodec;
import dev.cqrs.embedded.postgres.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Collections;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The index choice for tags, measured on raw SQL: our events table with its {@code tags} array and the
 * partial GIN index of migration V3 ({@code fastupdate} off), the same index with PostgreSQL's default
 * {@code fastupdate} on (new entries wait in a pending list that every scan reads), and the classic
 * alternative, a side table of {@code (aggregate type, tag, position)} rows with a b-tree primary key,
 * written in the same statement as the event. All hold the same events, {@value #PER_TAG} per tag, and
 * answer the same read: the events of one tag, in log order.
 */
final class TagIndexes implements AutoCloseable {

    static final int PER_TAG = 10;
    private static final String TYPE = "meter";

    private final HikariDataSource pool;
    private final int events;
    private final AtomicLong nextPosition;
    private final EncodedEvent payload;

    private TagIndexes(HikariDataSource pool, int events, EncodedEvent payload) {
        this.pool = pool;
        this.events = events;
        this.nextPosition = new AtomicLong(events + 1L);
        this.payload = payload;
    }

    /** Both layouts, each filled with {@code events} tagged events. */
    static TagIndexes create(TestDatabase database, int events, EventCodec<TaggedMeterEvent> codec) throws SQLException {
        RawEventTable.create(database, "idx_gin").close();
        RawEventTable.create(database, "idx_pending").close();
        RawEventTable.createAtVersion(database, "idx_side", "1").close();
        EncodedEvent payload = codec.encode(TaggedMeterEvent.ReadingTaken.of("m", Readings.reading(0, 0)));
        TagIndexes indexes = new TagIndexes(Pools.hikari(database, "tag-indexes", true), events, payload);
        try (Connection c = indexes.pool.getConnection(); Statement s = c.createStatement()) {
            s.execute("ALTER INDEX idx_pending.events_tags SET (fastupdate = on)");
            s.execute("CREATE TABLE idx_side.event_tags (aggregate_type text NOT NULL, tag text NOT NULL,"
                    + " global_position bigint NOT NULL, PRIMARY KEY (aggregate_type, tag, global_position))");
        }
        indexes.fill();
        return indexes;
    }

    private void fill() throws SQLException {
        int batch = 1_000;
        String values = "(?, '" + TYPE + "', ?, ?, '" + payload.eventType() + "', '" + payload.contentType() + "', ?, ?, ?";
        String columns = " (global_position, aggregate_type, aggregate_id, sequence, event_type, content_type, payload,"
                + " event_id, correlation_id";
        String gin = "INSERT INTO idx_gin.events" + columns + ", tags) VALUES "
                + String.join(", ", Collections.nCopies(batch, values + ", ARRAY[?]::text[])"));
        String pending = gin.replace("idx_gin.", "idx_pending.");
        String side = "INSERT INTO idx_side.events" + columns + ") VALUES "
                + String.join(", ", Collections.nCopies(batch, values + ")"));
        String tags = "INSERT INTO idx_side.event_tags (aggregate_type, tag, global_position) VALUES "
                + String.join(", ", Collections.nCopies(batch, "('" + TYPE + "', ?, ?)"));
        try (Connection c = pool.getConnection(); PreparedStatement g = c.prepareStatement(gin);
             PreparedStatement f = c.prepareStatement(pending);
             PreparedStatement s = c.prepareStatement(side); PreparedStatement t = c.prepareStatement(tags)) {
            for (int first = 0; first + batch <= events; first += batch) {
                UUID correlation = UUID.randomUUID();
                int pg = 1;
                int pf = 1;
                int ps = 1;
                int pt = 1;
                for (int i = first; i < first + batch; i++) {
                    pg = bindRow(g, pg, i, correlation);
                    g.setString(pg++, "meter:" + meterOf(i));
                    pf = bindRow(f, pf, i, correlation);
                    f.setString(pf++, "meter:" + meterOf(i));
                    ps = bindRow(s, ps, i, correlation);
                    t.setString(pt++, "meter:" + meterOf(i));
                    t.setLong(pt++, i + 1L);
                }
                g.executeUpdate();
                f.executeUpdate();
                s.executeUpdate();
                t.executeUpdate();
            }
            try (Statement analyze = c.createStatement()) {
                analyze.execute("ANALYZE idx_gin.events");
                analyze.execute("ANALYZE idx_pending.events");
                analyze.execute("ANALYZE idx_side.events");
                analyze.execute("ANALYZE idx_side.event_tags");
            }
        }
    }

    /** Event {@code i}'s columns from parameter {@code p}; returns the next parameter's index. */
    private int bindRow(PreparedStatement insert, int p, int i, UUID correlation) throws SQLException {
        insert.setLong(p++, i + 1L);
        insert.setString(p++, meterOf(i));
        insert.setLong(p++, i % PER_TAG + 1);
        insert.setBytes(p++, payload.payload());
        insert.setObject(p++, UUID.randomUUID());
        insert.setObject(p++, correlation);
        return p;
    }

    private static String meterOf(long i) {
        return "m-" + i / PER_TAG;
    }

    /** A tag of the filled events, picked by {@code n}. */
    private String tagOf(long n) {
        return "meter:" + meterOf(Math.floorMod(n * 7_919L, (long) events));
    }

    /** Reads one tag's events through the GIN index; checks it found all of them. */
    void readWithGin(long n) throws SQLException {
        readGin("idx_gin", n);
    }

    /** Reads one tag's events through the GIN index with a pending list. */
    void readWithPendingList(long n) throws SQLException {
        readGin("idx_pending", n);
    }

    private void readGin(String schema, long n) throws SQLException {
        read("SELECT global_position, payload FROM " + schema + ".events WHERE aggregate_type = '" + TYPE + "'"
                + " AND tags @> ARRAY[?]::text[] ORDER BY global_position", tagOf(n));
    }

    /** Reads one tag's events through the side table. */
    void readWithSideTable(long n) throws SQLException {
        read("SELECT e.global_position, e.payload FROM idx_side.event_tags t JOIN idx_side.events e"
                + " ON e.global_position = t.global_position WHERE t.aggregate_type = '" + TYPE + "' AND t.tag = ?"
                + " ORDER BY t.global_position", tagOf(n));
    }

    private void read(String sql, String tag) throws SQLException {
        try (Connection c = pool.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, tag);
            int rows = 0;
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    rows++;
                }
            }
            if (rows != PER_TAG) {
                throw new IllegalStateException("read " + rows + " events of " + tag + ", expected " + PER_TAG);
            }
        }
    }

    /** Appends one tagged event (a new tag) into the GIN layout: one autocommitted insert. */
    void insertWithGin(String meter) throws SQLException {
        insertGin("idx_gin", meter);
    }

    /** The same into the GIN layout with a pending list. */
    void insertWithPendingList(String meter) throws SQLException {
        insertGin("idx_pending", meter);
    }

    private void insertGin(String schema, String meter) throws SQLException {
        try (Connection c = pool.getConnection(); PreparedStatement ps = c.prepareStatement(
                "INSERT INTO " + schema + ".events (global_position, aggregate_type, aggregate_id, sequence, event_type, content_type,"
                        + " payload, event_id, correlation_id, tags) VALUES (?, '" + TYPE + "', ?, 1, ?, ?, ?, ?, ?, ARRAY[?]::text[])")) {
            bindInsert(ps, meter);
            ps.setString(8, "meter:" + meter);
            ps.executeUpdate();
        }
    }

    /** Appends one tagged event into the side-table layout: the event and its tag row in one statement. */
    void insertWithSideTable(String meter) throws SQLException {
        try (Connection c = pool.getConnection(); PreparedStatement ps = c.prepareStatement(
                "WITH e AS (INSERT INTO idx_side.events (global_position, aggregate_type, aggregate_id, sequence, event_type,"
                        + " content_type, payload, event_id, correlation_id) VALUES (?, '" + TYPE + "', ?, 1, ?, ?, ?, ?, ?)"
                        + " RETURNING global_position) INSERT INTO idx_side.event_tags (aggregate_type, tag, global_position)"
                        + " SELECT '" + TYPE + "', ?, global_position FROM e")) {
            bindInsert(ps, meter);
            ps.setString(8, "meter:" + meter);
            ps.executeUpdate();
        }
    }

    private void bindInsert(PreparedStatement ps, String meter) throws SQLException {
        ps.setLong(1, nextPosition.getAndIncrement());
        ps.setString(2, meter);
        ps.setString(3, payload.eventType());
        ps.setString(4, payload.contentType());
        ps.setBytes(5, payload.payload());
        ps.setObject(6, UUID.randomUUID());
        ps.setObject(7, UUID.randomUUID());
    }

    @Override
    public void close() {
        pool.close();
    }
}
