package dev.cqrs.postgres;

import dev.cqrs.embedded.postgres.TestDatabase;
import java.net.URI;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Set;
import java.util.function.BooleanSupplier;

/** The store's backends as PostgreSQL sees them, for tests that break them, and bounded waits for what follows. */
final class Backends {

    /** The general append statement (several events, or an idempotency key). */
    static final String GENERAL_APPEND = "WITH current AS";
    /** The lean append statement (one event without an idempotency key). */
    static final String ONE_EVENT_APPEND = "INSERT INTO %.events (global_position%";

    private Backends() {
    }

    /**
     * The pid of a backend of {@code db} whose statement starts like {@code statement} (a LIKE pattern) and that
     * waits for a lock, other than those in {@code excluding}; fails if none shows within {@code timeout}.
     */
    static int awaitBlockedAppend(TestDatabase db, String statement, Set<Integer> excluding, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
             PreparedStatement ps = c.prepareStatement("SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                     + " AND wait_event_type = 'Lock' AND query LIKE ?")) {
            ps.setString(1, statement + "%");
            while (System.nanoTime() < deadline) {
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        if (!excluding.contains(rs.getInt(1))) {
                            return rs.getInt(1);
                        }
                    }
                }
                Thread.sleep(20);
            }
        }
        throw new AssertionError("no append starting with '" + statement + "' waited for a lock within " + timeout
                + " (besides backends " + excluding + ")");
    }

    /** Terminates a backend, as an administrator or a crashing server process would. */
    static void terminate(TestDatabase db, int pid) throws SQLException {
        try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
             Statement admin = c.createStatement()) {
            admin.execute("SELECT pg_terminate_backend(" + pid + ")");
        }
    }

    /** Rows of the events table of schema cqrs for one aggregate id, of any type. */
    static long rowsOf(TestDatabase db, String aggregateId) throws SQLException {
        try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
             PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM cqrs.events WHERE aggregate_id = ?")) {
            ps.setString(1, aggregateId);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** {@code db}'s JDBC URL with another port, e.g. a fault proxy's in front of the server. */
    static String jdbcUrlThrough(TestDatabase db, int port) {
        URI uri = URI.create(db.jdbcUrl().substring("jdbc:".length()));
        return "jdbc:postgresql://127.0.0.1:" + port + uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
    }

    /** Waits until {@code condition} holds, polling; fails naming {@code what} after {@code timeout}. */
    static void await(BooleanSupplier condition, Duration timeout, String what) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("waited " + timeout + " for " + what);
            }
            Thread.sleep(20);
        }
    }
}
