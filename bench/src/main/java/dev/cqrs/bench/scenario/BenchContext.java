package dev.cqrs.bench.scenario;

import dev.cqrs.bench.measure.CpuClock;
import dev.cqrs.embedded.kafka.KafkaBroker;
import dev.cqrs.embedded.kafka.KafkaOptions;
import dev.cqrs.embedded.postgres.PostgresServer;
import dev.cqrs.embedded.postgres.TestDatabase;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;
import javax.sql.DataSource;

/**
 * What a scenario runs with: the server, a Kafka broker (started on first use), the number of rounds
 * and clients, the scale that shrinks sizes and durations, and a place to print progress. Close it
 * when the run is over: it stops the broker it started.
 */
public final class BenchContext implements AutoCloseable {

    /** Names an external Kafka cluster to use instead of a broker of the bench's own. */
    public static final String KAFKA_VARIABLE = "CQRS_KAFKA_BOOTSTRAP";

    /** No measured interval is shorter than this, whatever the scale. */
    private static final Duration SHORTEST = Duration.ofMillis(200);

    private final PostgresServer server;
    private final double scale;
    private final int rounds;
    private final int clients;
    private final PrintStream progress;
    private final CpuClock cpuClock;
    private final OptionalInt backlogEvents;
    private volatile boolean checkpointRefused;
    private Optional<KafkaBroker> kafka = Optional.empty(); // guarded by this
    private boolean kafkaOwned; // guarded by this

    /**
     * @param backlogEvents the {@code --events} of the command line: the size of the backlog scenarios'
     *                      backlogs, whatever the scale; empty to scale their defaults
     */
    public BenchContext(PostgresServer server, CpuClock cpuClock, double scale, int rounds, int clients,
                        OptionalInt backlogEvents, PrintStream progress) {
        this.server = server;
        this.cpuClock = cpuClock;
        this.scale = scale;
        this.rounds = rounds;
        this.clients = clients;
        this.backlogEvents = backlogEvents;
        this.progress = progress;
    }

    /**
     * The Kafka broker: the external cluster of {@value #KAFKA_VARIABLE} when that is set, else a
     * single-node broker of the bench's own, in this JVM (so its CPU counts as the client's), started
     * on the first call (about 4 s) with temporary data.
     */
    public synchronized KafkaBroker kafka() {
        if (kafka.isEmpty()) {
            String external = System.getenv(KAFKA_VARIABLE);
            if (external != null && !external.isBlank()) {
                progress("  using the Kafka cluster of %s: %s", KAFKA_VARIABLE, external.strip());
                kafka = Optional.of(KafkaBroker.shared());
            } else {
                progress("  starting an embedded Kafka broker (single node, KRaft, in this JVM) ...");
                kafka = Optional.of(KafkaBroker.start(KafkaOptions.temporary()));
                kafkaOwned = true;
            }
        }
        return kafka.get();
    }

    /**
     * The number of events of a backlog (the relay's, the replay's): {@code --events} when given,
     * else {@code atFullScale} at this run's scale, never under {@code minimum}.
     */
    public int backlog(int atFullScale, int minimum) {
        return backlogEvents.isPresent() ? backlogEvents.getAsInt() : scaled(atFullScale, minimum);
    }

    /** Stops the Kafka broker, if this context started one. */
    @Override
    public synchronized void close() {
        if (kafkaOwned) {
            kafka.ifPresent(KafkaBroker::close);
        }
        kafka = Optional.empty();
        kafkaOwned = false;
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
