package dev.cqrs.projector;

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

    void execute(String sql, Object... parameters);

    /** An {@code Instant} as a JDBC timestamp with time zone, or null. */
    static Object timestamp(java.time.Instant instant) {
        return instant == null ? null : java.time.OffsetDateTime.ofInstant(instant, java.time.ZoneOffset.UTC);
    }
}
