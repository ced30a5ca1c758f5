package dev.cqrs.embedded.postgres;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * zonky's embedded PostgreSQL, with a data directory and a port that outlive one postmaster so
 * that the server can be stopped, killed and started again on the same data.
 *
 * <p>Layout of the server's directory: {@code pgdata/} (PGDATA) and {@code postgres.log} (the
 * output of initdb, pg_ctl and the server).
 */
final class EmbeddedPostgresServer implements PostgresServer {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedPostgresServer.class);
    private static final String SUPERUSER = "postgres";
    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(60);

    private final boolean durable;
    private final Path directory;
    private final boolean temporary;
    private final int port;
    private EmbeddedPostgres postgres; // guarded by this; null while stopped

    private EmbeddedPostgresServer(boolean durable, Path directory, boolean temporary, int port) {
        this.durable = durable;
        this.directory = directory;
        this.temporary = temporary;
        this.port = port;
    }

    static EmbeddedPostgresServer start(PostgresOptions options) {
        try {
            Path directory = options.dataDirectory().isPresent()
                    ? Files.createDirectories(options.dataDirectory().get().toAbsolutePath())
                    : Files.createTempDirectory("cqrs-postgres-");
            int port = options.port() == 0 ? freePort() : options.port();
            var server = new EmbeddedPostgresServer(
                    options.durable(), directory, options.dataDirectory().isEmpty(), port);
            Runtime.getRuntime().addShutdownHook(
                    new Thread(server::stopAndCleanUp, "cqrs-postgres-" + port + "-shutdown"));
            server.startPostmaster();
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException("could not prepare the embedded PostgreSQL's directory", e);
        }
    }

    @Override
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://localhost:" + port + "/" + database;
    }

    @Override
    public String user() {
        return SUPERUSER;
    }

    @Override
    public String password() {
        return "";
    }

    @Override
    public TestDatabase createDatabase(String namePrefix) {
        String name = DatabaseNames.unique(namePrefix);
        try (Connection connection = DriverManager.getConnection(jdbcUrl("postgres"), SUPERUSER, "");
             Statement statement = connection.createStatement()) {
            statement.execute("CREATE DATABASE \"" + name + "\"");
        } catch (SQLException e) {
            throw new IllegalStateException("could not create database " + name + " on " + this, e);
        }
        return new TestDatabase(name, jdbcUrl(name), SUPERUSER, "");
    }

    @Override
    public synchronized void stop() {
        if (postgres == null) {
            return;
        }
        try {
            postgres.close();
        } catch (IOException e) {
            throw new UncheckedIOException("could not stop " + this, e);
        } finally {
            postgres = null;
        }
        LOG.info("embedded PostgreSQL at port {} stopped", port);
    }

    @Override
    public synchronized void kill() {
        if (postgres == null) {
            throw new IllegalStateException("cannot kill " + this + ": it is not running");
        }
        long pid = postmasterPid().orElseThrow(
                () -> new IllegalStateException("no postmaster.pid in " + pgdata()));
        ProcessHandle postmaster = ProcessHandle.of(pid).orElseThrow(
                () -> new IllegalStateException("postmaster " + pid + " of " + this + " is not running"));
        // Collect the backends first: once the postmaster is gone they are no longer its children.
        List<ProcessHandle> processes = new ArrayList<>(postmaster.descendants().toList());
        processes.addFirst(postmaster);
        processes.forEach(ProcessHandle::destroyForcibly);
        for (ProcessHandle process : processes) {
            try {
                process.onExit().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new IllegalStateException("process " + process.pid() + " of " + this
                        + " did not die after SIGKILL", e);
            }
        }
        LOG.info("embedded PostgreSQL at port {} killed with SIGKILL (postmaster pid {} and {} backends);"
                + " zonky's failing 'pg_ctl stop' logged next is expected", port, pid, processes.size() - 1);
        // zonky's close() now fails to stop the dead server, but releases its lock on the data
        // directory, which the next start needs.
        try {
            postgres.close();
        } catch (IOException e) {
            LOG.debug("closing the killed server's handle failed", e);
        }
        postgres = null;
    }

    @Override
    public synchronized void restart() {
        stop();
        startPostmaster();
    }

    @Override
    public String toString() {
        return "embedded PostgreSQL at port " + port + " in " + directory;
    }

    private synchronized void startPostmaster() {
        long started = System.nanoTime();
        stopOrphanedPostmaster();
        Redirect log = Redirect.appendTo(directory.resolve("postgres.log").toFile());
        EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                .setDataDirectory(pgdata())
                .setCleanDataDirectory(false)
                .setRegisterShutdownHook(false)
                .setPort(port)
                .setPGStartupWait(STARTUP_TIMEOUT)
                .setOutputRedirector(log)
                .setErrorRedirector(log);
        if (durable) {
            // zonky passes -F (fsync off) first and these afterwards: the later setting wins.
            builder.setServerConfig("fsync", "on").setServerConfig("synchronous_commit", "on");
        }
        try {
            postgres = builder.start();
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("embedded PostgreSQL did not start at port " + port
                    + "; see " + directory.resolve("postgres.log"), e);
        }
        LOG.info("embedded PostgreSQL {} ready in {} s at port {} ({}, data directory {})",
                serverVersion(), seconds(System.nanoTime() - started), port,
                durable ? "durable: fsync and synchronous_commit on" : "not durable: fsync off",
                temporary ? "temporary" : directory);
    }

    private String serverVersion() {
        try (Connection connection = DriverManager.getConnection(jdbcUrl("postgres"), SUPERUSER, "");
             Statement statement = connection.createStatement();
             ResultSet result = statement.executeQuery("SHOW server_version")) {
            result.next();
            return result.getString(1);
        } catch (SQLException e) {
            throw new IllegalStateException("embedded PostgreSQL at port " + port + " started but"
                    + " does not answer", e);
        }
    }

    /**
     * A JVM that was killed leaves its postmaster running (pg_ctl daemonizes it) and holding the
     * data directory; a kept data directory would then never start again. Such an orphan gets a
     * smart shutdown (SIGTERM) first, as its clients died with that JVM.
     */
    private void stopOrphanedPostmaster() {
        if (postgres != null) {
            return;
        }
        postmasterPid()
                .flatMap(ProcessHandle::of)
                .filter(process -> process.info().command().map(c -> c.endsWith("postgres")).orElse(false))
                .ifPresent(orphan -> {
                    LOG.warn("stopping an orphaned postmaster (pid {}) that still holds {}", orphan.pid(), pgdata());
                    orphan.destroy();
                    try {
                        orphan.onExit().get(30, TimeUnit.SECONDS);
                    } catch (Exception e) {
                        throw new IllegalStateException("orphaned postmaster " + orphan.pid()
                                + " holds " + pgdata() + " and does not stop", e);
                    }
                });
    }

    private Optional<Long> postmasterPid() {
        Path pidFile = pgdata().resolve("postmaster.pid");
        try {
            if (!Files.exists(pidFile)) {
                return Optional.empty();
            }
            return Files.readAllLines(pidFile).stream().findFirst().map(String::strip).map(Long::parseLong);
        } catch (IOException | NumberFormatException e) {
            LOG.warn("unreadable {}", pidFile, e);
            return Optional.empty();
        }
    }

    private Path pgdata() {
        return directory.resolve("pgdata");
    }

    private void stopAndCleanUp() {
        try {
            stop();
        } catch (RuntimeException e) {
            LOG.warn("could not stop {} at JVM exit", this, e);
        }
        if (temporary) {
            deleteRecursively(directory);
        }
    }

    private static void deleteRecursively(Path directory) {
        try (Stream<Path> paths = Files.walk(directory)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            LOG.warn("could not delete {}", directory, e);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    static String seconds(long nanos) {
        return String.format("%.1f", nanos / 1e9);
    }
}
