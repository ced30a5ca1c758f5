package dev.cqrs.embedded.postgres;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * How to start an embedded PostgreSQL server.
 *
 * @param durable       {@code true} turns {@code fsync} and {@code synchronous_commit} on, as a
 *                      production server has them: a commit that returned survives a crash of the
 *                      server. {@code false} keeps zonky's fast test defaults (both off), which
 *                      are fine for tests that never crash the server.
 * @param dataDirectory where the server keeps its files ({@code pgdata/} and {@code postgres.log}),
 *                      kept between runs so that dev mode finds its data again; empty for a
 *                      temporary directory that is deleted when the JVM exits
 * @param port          the TCP port on localhost; {@code 0} picks a free one. A server keeps its
 *                      port across {@link PostgresServer#restart()}.
 */
public record PostgresOptions(boolean durable, Optional<Path> dataDirectory, int port) {

    public PostgresOptions {
        Objects.requireNonNull(dataDirectory, "dataDirectory");
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("port must be 0 (any free port) or 1-65535, was " + port);
        }
    }

    /** Fast and throw-away: not durable, a temporary data directory, a free port. */
    public static PostgresOptions temporary() {
        return new PostgresOptions(false, Optional.empty(), 0);
    }

    /** Durable (fsync and synchronous_commit on), a temporary data directory, a free port. */
    public static PostgresOptions temporaryDurable() {
        return new PostgresOptions(true, Optional.empty(), 0);
    }

    /** The same options with {@code durable} set. */
    public PostgresOptions withDurable(boolean durable) {
        return new PostgresOptions(durable, dataDirectory, port);
    }

    /** The same options with a data directory that is kept between runs. */
    public PostgresOptions withDataDirectory(Path dataDirectory) {
        return new PostgresOptions(durable, Optional.of(dataDirectory), port);
    }

    /** The same options with a fixed port ({@code 0} for any free one). */
    public PostgresOptions withPort(int port) {
        return new PostgresOptions(durable, dataDirectory, port);
    }
}
