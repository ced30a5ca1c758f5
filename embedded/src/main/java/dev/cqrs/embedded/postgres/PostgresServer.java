package dev.cqrs.embedded.postgres;

/**
 * A real PostgreSQL server for tests, benchmarks and dev mode: an embedded PostgreSQL 17 (zonky's
 * binaries, started as a child process; no Docker, works as root) or an external server named by
 * environment variables.
 *
 * <p>Environment variables, read by {@link #shared()}:
 * <ul>
 *   <li>{@code CQRS_DB_URL}: a JDBC URL ({@code jdbc:postgresql://host:port/database}); when set,
 *       no embedded server is started and this server is used instead;</li>
 *   <li>{@code CQRS_DB_USER}, {@code CQRS_DB_PASSWORD}: its credentials (default
 *       {@code postgres} and empty).</li>
 * </ul>
 *
 * <p>Typical use in a test class:
 * <pre>{@code
 * static final TestDatabase db = PostgresServer.shared().createDatabase("event_store_test");
 * ... db.dataSource() ...
 * }</pre>
 */
public sealed interface PostgresServer permits EmbeddedPostgresServer, ExternalPostgresServer {

    /**
     * The server shared by everything in this JVM: started on first use (not durable, temporary
     * data directory, free port) and stopped by a shutdown hook; or the external server of
     * {@code CQRS_DB_URL} when that is set. Thread-safe. Do not stop or restart it: start a
     * server of your own with {@link #start(PostgresOptions)} for that.
     */
    static PostgresServer shared() {
        return SharedPostgresServer.get();
    }

    /**
     * Starts an embedded server of its own, whatever the environment says; it is stopped by a
     * shutdown hook if {@link #stop()} was not called. Blocks until it accepts connections.
     *
     * @throws IllegalStateException when the server does not start (the message names its log)
     */
    static PostgresServer start(PostgresOptions options) {
        return EmbeddedPostgresServer.start(options);
    }

    /**
     * A server that someone else runs, e.g. a container: {@code createDatabase} makes a fresh
     * database (or schema, see {@link TestDatabase}) on it; {@code stop}, {@code kill} and
     * {@code restart} refuse.
     *
     * @param jdbcUrl a PostgreSQL JDBC URL, e.g. {@code jdbc:postgresql://localhost:5432/postgres}
     * @throws IllegalArgumentException when {@code jdbcUrl} is not a PostgreSQL JDBC URL
     */
    static PostgresServer external(String jdbcUrl, String user, String password) {
        return new ExternalPostgresServer(jdbcUrl, user, password);
    }

    /** A JDBC URL, without credentials, for the named database on this server. */
    String jdbcUrl(String database);

    /** The user that {@link #jdbcUrl(String)} connects as: a superuser on the embedded server. */
    String user();

    /** That user's password; empty on the embedded server, which trusts local connections. */
    String password();

    /**
     * Creates a fresh, empty database whose name starts with the sanitized {@code namePrefix}
     * (for example the test class name) and is unique even across JVMs. On an external server
     * whose user lacks CREATEDB, creates a fresh schema instead (see {@link TestDatabase}).
     * Databases are not dropped: the embedded server's temporary data is deleted at JVM exit.
     */
    TestDatabase createDatabase(String namePrefix);

    /**
     * Stops the server with a fast shutdown (clients are disconnected, a checkpoint is written).
     * The data directory stays until the JVM exits (or for good, when it was given), so that
     * {@link #restart()} can start the server again. Does nothing when it is already stopped.
     *
     * @throws UnsupportedOperationException on an external server
     */
    void stop();

    /**
     * Kills the server as a crash would: SIGKILL to the postmaster and all its backends, with no
     * shutdown checkpoint. {@link #restart()} then runs crash recovery from the WAL; what survives
     * is what the durability settings promised (the OS page cache survives a process kill, so
     * this tests {@code synchronous_commit}, not {@code fsync}).
     *
     * @throws UnsupportedOperationException on an external server
     */
    void kill();

    /**
     * Stops the server if it runs, then starts it on the same data directory and port, and
     * blocks until it accepts connections. Connections opened before are broken.
     *
     * @throws UnsupportedOperationException on an external server
     */
    void restart();
}
