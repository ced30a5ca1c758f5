package dev.cqrs.projector;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/**
 * Where a PostgreSQL projection's handler writes its changes: parameterised statements, run later in
 * order, in the same transaction as the projection's positions. Consecutive statements with the same
 * SQL text are sent as one JDBC batch, so a replay writes thousands of rows per round trip.
 *
 * <p>Statements run with the projection generation's schema first on the search path: write table
 * names unqualified. Parameters are JDBC objects ({@code String}, {@code Long}, {@code Boolean},
 * {@code java.time.OffsetDateTime}, ...; use {@link #timestamp} for an {@code Instant}), or null.
 */
public interface SqlWriter {

    /**
     * Adds a statement to the handler's changes. Nothing runs yet: the statements of every handled event
     * run when the projector writes its buffer, in one transaction with the positions (so a handler cannot
     * read its own write, and a failure fails the whole batch, which is then applied one event at a time).
     */
    void execute(String sql, Object... parameters);

    /** An {@code Instant} as a JDBC timestamp with time zone, or null. */
    static Object timestamp(Instant instant) {
        return instant == null ? null : OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
    }
}
