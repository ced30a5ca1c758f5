package dev.cqrs.embedded.postgres;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.IntUnaryOperator;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A PostgreSQL 17 primary and a streaming standby from the same embedded binaries, for failover
 * tests: the standby made by an online base backup, replication synchronous or asynchronous
 * ({@link ReplicationMode}), the primary killed and the standby promoted on demand, a new standby
 * cloned from the new primary afterwards, and one multi-host JDBC URL that always reaches whichever
 * node is the primary.
 *
 * <pre>{@code
 * try (ReplicatedPostgres postgres = ReplicatedPostgres.start(ReplicationMode.SYNCHRONOUS)) {
 *     TestDatabase db = postgres.createDatabase("failover"); // its URL names both nodes
 *     ... write through db.jdbcUrl() ...
 *     ReplicatedPostgres.Failover failover = postgres.failover(); // SIGKILL the primary, promote the standby
 *     ... the same URL now reaches the new primary ...
 *     postgres.rebuildStandby();   // the old primary's node, cloned afresh from the new primary
 * }
 * }</pre>
 *
 * <p>To lose the last commits as an asynchronous failover does, {@link #detachStandby()} first (the
 * standby stops receiving WAL), commit more, then {@link #failover()}: what was committed after the
 * detach is gone from the new primary, and {@link Failover#walBytesLost()} says how much WAL that was.
 *
 * <p>Both nodes are durable (fsync and {@code synchronous_commit=on}), listen on localhost, trust
 * local users ({@code postgres}, no password) and keep their ports for good. Node {@code a} starts as
 * the primary, {@code b} as the standby; a failover swaps them. Not thread-safe: one test drives it.
 */
public final class ReplicatedPostgres implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ReplicatedPostgres.class);
    private static final String USER = "postgres";
    private static final Duration REPLICATION_TIMEOUT = Duration.ofSeconds(60);

    /**
     * What a failover did.
     *
     * @param oldPrimaryPort             the port of the killed primary
     * @param newPrimaryPort             the port of the promoted standby
     * @param primaryFlushLsnAtKill      the WAL position durable on the primary just before it was killed
     *                                   (commits may have been added in the last moment)
     * @param standbyLsnAtPromotion      the WAL position the standby had received (and replays before it
     *                                   accepts writes) when it was promoted
     * @param walBytesLost               how far the standby was behind the primary's durable WAL: 0 when it
     *                                   had everything. In synchronous mode this can be above 0 only by
     *                                   commits that were not acknowledged yet.
     */
    public record Failover(int oldPrimaryPort, int newPrimaryPort, String primaryFlushLsnAtKill,
                           String standbyLsnAtPromotion, long walBytesLost) {
    }

    /** One of the two nodes: its name, directory and port, and the server running there now (if any). */
    private static final class Node {
        final String name;
        final Path directory;
        final int port;
        PostgresServer server; // null while nothing runs there

        Node(String name, Path directory, int port) {
            this.name = name;
            this.directory = directory;
            this.port = port;
        }

        String standbyName() {
            return "cqrs_standby_" + name;
        }
    }

    private final Path root;
    private final boolean temporary;
    private final Node[] nodes;
    private ReplicationMode mode;
    private Node primary;
    private Node standby; // null when no standby runs
    private boolean detached;
    private boolean closed;

    private ReplicatedPostgres(Path root, boolean temporary, ReplicationMode mode, Node a, Node b) {
        this.root = root;
        this.temporary = temporary;
        this.mode = mode;
        this.nodes = new Node[] {a, b};
        this.primary = a;
    }

    /** A primary and a standby in a temporary directory, deleted by {@link #close()} or at JVM exit. */
    public static ReplicatedPostgres start(ReplicationMode mode) {
        try {
            return start(mode, Files.createTempDirectory("cqrs-postgres-replicated-"), true);
        } catch (IOException e) {
            throw new UncheckedIOException("could not create a temporary directory for a replicated PostgreSQL", e);
        }
    }

    /**
     * A primary and a standby in {@code directory} ({@code node-a/}, {@code node-b/}, each with
     * {@code pgdata/} and {@code postgres.log}), which must be empty or absent: a pair is not resumed
     * from an earlier run.
     */
    public static ReplicatedPostgres start(ReplicationMode mode, Path directory) {
        return start(mode, directory, false);
    }

    private static ReplicatedPostgres start(ReplicationMode mode, Path directory, boolean temporary) {
        Objects.requireNonNull(mode, "mode");
        long started = System.nanoTime();
        Path root = directory.toAbsolutePath();
        try {
            if (Files.exists(root) && Files.list(root).findAny().isPresent()) {
                throw new IllegalArgumentException("a replicated PostgreSQL needs an empty directory, and " + root + " is not");
            }
            Files.createDirectories(root);
            int portA = freePort();
            int portB = freePort();
            while (portB == portA) {
                portB = freePort();
            }
            var replicated = new ReplicatedPostgres(root, temporary, mode,
                    new Node("a", root.resolve("node-a"), portA), new Node("b", root.resolve("node-b"), portB));
            Runtime.getRuntime().addShutdownHook(new Thread(replicated::close, "cqrs-postgres-replicated-shutdown"));
            try {
                Node a = replicated.nodes[0];
                a.server = PostgresServer.start(new PostgresOptions(true, Optional.of(a.directory), a.port));
                replicated.cloneStandby(replicated.nodes[1]);
            } catch (RuntimeException e) {
                replicated.close();
                throw e;
            }
            LOG.info("replicated PostgreSQL ready in {} s: primary at port {}, {} standby at port {} (data {})",
                    EmbeddedPostgresServer.seconds(System.nanoTime() - started), replicated.primary.port,
                    mode == ReplicationMode.SYNCHRONOUS ? "synchronous" : "asynchronous", replicated.standby.port,
                    temporary ? "temporary" : root);
            return replicated;
        } catch (IOException e) {
            throw new UncheckedIOException("could not prepare " + root + " for a replicated PostgreSQL", e);
        }
    }

    /** The primary now. */
    public PostgresServer primary() {
        return primary.server;
    }

    /** The standby now; empty after a failover until {@link #rebuildStandby()}. */
    public Optional<PostgresServer> standby() {
        return Optional.ofNullable(standby).map(node -> node.server);
    }

    /** The replication mode in force. */
    public ReplicationMode mode() {
        return mode;
    }

    /** Both nodes' ports, node {@code a} first; they never change. */
    public List<Integer> ports() {
        return List.of(nodes[0].port, nodes[1].port);
    }

    /** The user to connect as: {@code postgres}, a superuser, trusted without a password. */
    public String user() {
        return USER;
    }

    /** Empty: local connections are trusted. */
    public String password() {
        return "";
    }

    /**
     * A JDBC URL of {@code database} that names both nodes and asks for the primary
     * ({@code targetServerType=primary}): pgjdbc tries each host and connects to the one that is not
     * in recovery, so the same URL follows a failover. Host status is cached 2 s
     * ({@code hostRecheckSeconds}; pgjdbc's default 10 s would refuse connections that long after a
     * promotion).
     */
    public String jdbcUrl(String database) {
        return jdbcUrl(database, IntUnaryOperator.identity());
    }

    /**
     * The same URL with each node's port mapped, e.g. to the port of a
     * {@link dev.cqrs.embedded.network.FaultProxy} in front of it.
     */
    public String jdbcUrl(String database, IntUnaryOperator portMapping) {
        return "jdbc:postgresql://" + ports().stream().map(port -> "localhost:" + portMapping.applyAsInt(port))
                .collect(Collectors.joining(",")) + "/" + database + "?targetServerType=primary&hostRecheckSeconds=2";
    }

    /** A fresh database, created on the primary and replicated; its URL is {@link #jdbcUrl(String)}'s. */
    public TestDatabase createDatabase(String namePrefix) {
        String name = DatabaseNames.unique(namePrefix);
        execute(primary, "CREATE DATABASE \"" + name + "\"");
        return new TestDatabase(name, jdbcUrl(name), USER, "");
    }

    /**
     * Switches the primary between waiting for the standby and not (a configuration reload, no
     * restart) and, for {@link ReplicationMode#SYNCHRONOUS}, waits until the standby is the
     * synchronous one.
     */
    public void setMode(ReplicationMode mode) {
        this.mode = Objects.requireNonNull(mode, "mode");
        applyMode();
        LOG.info("replicated PostgreSQL: replication is now {}", mode == ReplicationMode.SYNCHRONOUS ? "synchronous" : "asynchronous");
    }

    /**
     * Waits until the standby has replayed everything the primary has flushed.
     *
     * @throws IllegalStateException when it does not within {@code timeout}, naming both positions
     */
    public void awaitStandbyCaughtUp(Duration timeout) {
        Node current = requireStandby("wait for the standby");
        String target = query(primary, "SELECT pg_current_wal_flush_lsn()");
        String[] replayed = {""};
        await(timeout, "the standby at port " + current.port + " to replay up to " + target, () -> {
            replayed[0] = query(current, "SELECT pg_last_wal_replay_lsn()");
            return Long.parseLong(query(current, "SELECT pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '" + target + "')::bigint")) >= 0;
        }, () -> "it replayed up to " + replayed[0]);
    }

    /**
     * Stops the standby's WAL receiver (its {@code primary_conninfo} emptied and reloaded) and waits
     * until the primary no longer streams to it: the standby stays up and readable but falls behind.
     * In synchronous mode commits then wait until {@link #attachStandby()} or a mode switch.
     */
    public void detachStandby() {
        Node current = requireStandby("detach the standby");
        execute(current, "ALTER SYSTEM SET primary_conninfo TO ''");
        execute(current, "SELECT pg_reload_conf()");
        await(REPLICATION_TIMEOUT, "the standby at port " + current.port + " to stop receiving WAL", () ->
                query(current, "SELECT count(*) FROM pg_stat_wal_receiver").equals("0")
                        && query(primary, "SELECT count(*) FROM pg_stat_replication WHERE application_name = '"
                        + current.standbyName() + "'").equals("0"), () -> "");
        detached = true;
        LOG.info("replicated PostgreSQL: the standby at port {} no longer receives WAL from the primary at port {}",
                current.port, primary.port);
    }

    /** Lets a detached standby stream again, and waits until it does (and is synchronous, in that mode). */
    public void attachStandby() {
        Node current = requireStandby("attach the standby");
        execute(current, "ALTER SYSTEM SET primary_conninfo TO '" + BaseBackup.conninfo(primary.port, USER, current.standbyName()) + "'");
        execute(current, "SELECT pg_reload_conf()");
        awaitStreaming(current);
        detached = false;
        applyMode();
    }

    /**
     * SIGKILLs the primary (postmaster and backends), first noting the WAL position durable there.
     *
     * @return that position
     */
    public String killPrimary() {
        if (primary.server == null) {
            throw new IllegalStateException("the primary at port " + primary.port + " is not running");
        }
        String flushed = query(primary, "SELECT pg_current_wal_flush_lsn()");
        primary.server.kill();
        primary.server = null;
        LOG.info("replicated PostgreSQL: primary at port {} killed with SIGKILL at WAL {}", primary.port, flushed);
        return flushed;
    }

    /**
     * Promotes the standby ({@code pg_promote}, waiting until it accepts writes) and makes it the
     * primary. Whether the old primary still runs is the caller's choice (it does not stop it: two
     * primaries are what a split brain looks like).
     *
     * @return the WAL position the standby had received when promoted (it replays all of it first)
     */
    public String promoteStandby() {
        Node promoted = requireStandby("promote the standby");
        String replayed = query(promoted, "SELECT greatest(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())");
        if (!query(promoted, "SELECT pg_promote(true, 60)").equals("t")) {
            throw new IllegalStateException("the standby at port " + promoted.port + " was not promoted within 60 s; see "
                    + promoted.directory.resolve("postgres.log"));
        }
        Node old = primary;
        primary = promoted;
        standby = null;
        detached = false;
        LOG.info("replicated PostgreSQL: standby at port {} promoted at WAL {}; it is the primary (the old one at port {} is {})",
                promoted.port, replayed, old.port, old.server == null ? "down" : "still running");
        return replayed;
    }

    /** {@link #killPrimary()}, then {@link #promoteStandby()}. */
    public Failover failover() {
        int oldPort = primary.port;
        String flushed = killPrimary();
        String replayed = promoteStandby();
        long lost = Math.max(0, Long.parseLong(query(primary, "SELECT pg_wal_lsn_diff('" + flushed + "', '" + replayed + "')::bigint")));
        var failover = new Failover(oldPort, primary.port, flushed, replayed, lost);
        LOG.info("replicated PostgreSQL failover: {}", failover);
        return failover;
    }

    /**
     * Makes the node that is not the primary a fresh standby of the primary: stops whatever runs
     * there, deletes its data, takes a base backup of the primary while it serves, starts the standby
     * on the same port and waits until it streams (and is synchronous, in that mode).
     */
    public void rebuildStandby() {
        Node other = primary == nodes[0] ? nodes[1] : nodes[0];
        if (other.server != null) {
            other.server.stop();
            other.server = null;
        }
        standby = null;
        deleteRecursively(other.directory);
        cloneStandby(other);
    }

    /** Stops both servers; a temporary pair's directory is deleted. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Node node : new Node[] {standby, primary}) {
            if (node != null && node.server != null) {
                try {
                    node.server.stop();
                } catch (RuntimeException e) {
                    LOG.warn("could not stop the PostgreSQL node at port {}: {}", node.port, e.toString());
                }
                node.server = null;
            }
        }
        for (Node node : nodes) {
            if (node.server != null) {
                node.server.kill();
            }
        }
        if (temporary) {
            deleteRecursively(root);
        }
    }

    @Override
    public String toString() {
        return "replicated PostgreSQL (" + mode + "): primary at port " + primary.port
                + (standby == null ? ", no standby" : ", standby at port " + standby.port + (detached ? " (detached)" : ""));
    }

    private void cloneStandby(Node target) {
        BaseBackup.take(primary.server.jdbcUrl("postgres"), USER, "", primary.directory.resolve("pgdata"), primary.port,
                target.directory.resolve("pgdata"), target.standbyName());
        try {
            target.server = PostgresServer.start(new PostgresOptions(true, Optional.of(target.directory), target.port));
        } catch (RuntimeException e) {
            throw new IllegalStateException("the standby cloned from the primary at port " + primary.port + " did not start at port "
                    + target.port + "; the end of its log:\n" + logTail(target), e);
        }
        standby = target;
        awaitStreaming(target);
        applyMode();
    }

    private void applyMode() {
        String names = mode == ReplicationMode.SYNCHRONOUS && standby != null ? standby.standbyName() : "";
        execute(primary, "ALTER SYSTEM SET synchronous_standby_names TO '" + names + "'");
        execute(primary, "SELECT pg_reload_conf()");
        if (!names.isEmpty() && !detached) {
            await(REPLICATION_TIMEOUT, "standby " + names + " to be synchronous", () -> query(primary,
                    "SELECT coalesce(max(sync_state), '') FROM pg_stat_replication WHERE application_name = '" + names + "'")
                    .equals("sync"), () -> "");
        }
    }

    private void awaitStreaming(Node target) {
        await(REPLICATION_TIMEOUT, "the standby at port " + target.port + " to stream from the primary at port " + primary.port,
                () -> query(primary, "SELECT coalesce(max(state), '') FROM pg_stat_replication WHERE application_name = '"
                        + target.standbyName() + "'").equals("streaming"),
                () -> "see " + target.directory.resolve("postgres.log"));
    }

    private Node requireStandby(String what) {
        if (standby == null || standby.server == null) {
            throw new IllegalStateException("cannot " + what + ": there is no standby (after a failover, rebuildStandby())");
        }
        return standby;
    }

    private static void execute(Node node, String sql) {
        try (Connection connection = connect(node); Statement statement = connection.createStatement()) {
            statement.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException("PostgreSQL at port " + node.port + " refused " + sql + ": " + e.getMessage(), e);
        }
    }

    private static String query(Node node, String sql) {
        try (Connection connection = connect(node); Statement statement = connection.createStatement();
             ResultSet result = statement.executeQuery(sql)) {
            result.next();
            return String.valueOf(result.getString(1));
        } catch (SQLException e) {
            throw new IllegalStateException("PostgreSQL at port " + node.port + " failed " + sql + ": " + e.getMessage(), e);
        }
    }

    private static Connection connect(Node node) throws SQLException {
        if (node.server == null) {
            throw new SQLException("nothing runs at port " + node.port);
        }
        return DriverManager.getConnection(node.server.jdbcUrl("postgres"), USER, "");
    }

    private static void await(Duration timeout, String what, java.util.function.BooleanSupplier condition,
                              java.util.function.Supplier<String> diagnostics) {
        long deadline = System.nanoTime() + timeout.toNanos();
        RuntimeException last = null;
        while (System.nanoTime() < deadline) {
            try {
                if (condition.getAsBoolean()) {
                    return;
                }
            } catch (RuntimeException e) {
                last = e;
            }
            try {
                TimeUnit.MILLISECONDS.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + what, e);
            }
        }
        String detail;
        try {
            detail = diagnostics.get();
        } catch (RuntimeException e) {
            detail = e.getMessage();
        }
        throw new IllegalStateException("waited " + timeout.toSeconds() + " s for " + what + "; " + detail, last);
    }

    private static String logTail(Node node) {
        try {
            List<String> lines = Files.readAllLines(node.directory.resolve("postgres.log"));
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException | RuntimeException e) {
            return "(no log: " + e + ")";
        }
    }

    private static int freePort() throws IOException {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static void deleteRecursively(Path directory) {
        if (!Files.exists(directory)) {
            return;
        }
        try (var paths = Files.walk(directory)) {
            List<Path> all = new ArrayList<>(paths.toList());
            java.util.Collections.reverse(all);
            all.forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            LOG.warn("could not delete {}", directory, e);
        }
    }
}
