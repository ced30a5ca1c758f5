package dev.cqrs.bench.scenario;

import dev.cqrs.bench.measure.CpuClock;
import dev.cqrs.embedded.postgres.PostgresServer;
import dev.cqrs.embedded.postgres.TestDatabase;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Locale;
import javax.sql.DataSource;

/**
 * What a scenario runs with: the server, the number of rounds and clients, the scale that shrinks
 * sizes and durations, and a place to print progress.
 */
public final class BenchContext {

    /** No measured interval is shorter than this, whatever the scale. */
    private static final Duration SHORTEST = Duration.ofMillis(200);

    private final PostgresServer server;
    private final double scale;
    private final int rounds;
    private final int clients;
    private final PrintStream progress;
    private final CpuClock cpuClock;
    private volatile boolean checkpointRefused;

    public BenchContext(PostgresServer server, CpuClock cpuClock, double scale, int rounds, int clients,
                        PrintStream progress) {
        this.server = server;
        this.cpuClock = cpuClock;
        this.scale = scale;
        this.rounds = rounds;
        this.clients = clients;
        this.progress = progress;
    }

    public PostgresServer server() {
        return server;
    }

    /** A fresh database of the scenario's own on the bench's server. */
    public TestDatabase newDatabase(String prefix) {
        return server.createDatabase(prefix);
    }

    /** Reads the CPU time of this JVM and of the server's processes. */
    public CpuClock cpuClock() {
        return cpuClock;
    }

    public double scale() {
        return scale;
    }

    public int rounds() {
        return rounds;
    }

    /** Concurrent clients for the multi-client scenarios (8 by default, as issue 4 asks). */
    public int clients() {
        return clients;
    }

    /** A duration at this run's scale, never under 200 ms. */
    public Duration scaled(Duration atFullScale) {
        Duration scaled = Duration.ofNanos((long) (atFullScale.toNanos() * scale));
        return scaled.compareTo(SHORTEST) < 0 ? SHORTEST : scaled;
    }

    /** A size at this run's scale, never under {@code minimum}. */
    public int scaled(int atFullScale, int minimum) {
        return (int) Math.max(minimum, Math.round(atFullScale * scale));
    }

    /**
     * Writes out dirty pages now (a {@code CHECKPOINT}), so that the side measured next neither pays
     * for the previous side's writes nor runs into a checkpoint that the previous side started.
     * Needs a superuser (or {@code pg_checkpoint}); on a server that refuses, says so once and
     * carries on.
     */
    public void checkpoint(DataSource dataSource) {
        if (checkpointRefused) {
            return;
        }
        try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement()) {
            statement.execute("CHECKPOINT");
        } catch (SQLException e) {
            checkpointRefused = true;
            progress("  (no CHECKPOINT between measurements: %s)", e.getMessage());
        }
    }

    public void progress(String format, Object... args) {
        progress.println(String.format(Locale.ROOT, format, args));
        progress.flush();
    }
}
