package dev.cqrs.postgres;

import dev.cqrs.core.EventStoreException;
import java.sql.SQLException;

/** Turns SQL failures into errors that say what failed, whether anything may have been written, and what to do. */
final class SqlFailures {

    static final String UNIQUE_VIOLATION = "23505";

    private SqlFailures() {
    }

    static boolean isUniqueViolation(SQLException e, String constraint) {
        if (!UNIQUE_VIOLATION.equals(e.getSQLState())) {
            return false;
        }
        return e instanceof org.postgresql.util.PSQLException p && p.getServerErrorMessage() != null
                ? constraint.equals(p.getServerErrorMessage().getConstraint())
                : String.valueOf(e.getMessage()).contains(constraint);
    }

    /** A broken connection or a terminated backend, as opposed to a statement the server refused. */
    static boolean isConnectionFailure(SQLException e) {
        String state = e.getSQLState();
        return state == null || state.startsWith("08") || state.equals("57P01") || state.equals("57P02")
                || state.equals("57P03");
    }

    /** A database call. */
    interface SqlCall<T> {
        T call() throws SQLException;
    }

    /**
     * Runs a read, and runs it once more when the connection it got was broken (a connection the pool
     * still held from before a database restart fails once, with 57P01 or 08006). Reads only: they have
     * no effect to repeat.
     */
    static <T> T readWithRetry(SqlCall<T> read) throws SQLException {
        try {
            return read.call();
        } catch (SQLException e) {
            if (!isConnectionFailure(e)) {
                throw e;
            }
            return read.call();
        }
    }

    /** A read failed. */
    static EventStoreException readFailed(String what, SQLException e) {
        return new EventStoreException(what + " failed: " + describe(e), e);
    }

    /**
     * An append failed. A single statement in autocommit is atomic, so nothing is half-written; but when
     * the connection broke, the commit may or may not have happened, and only the idempotency key can tell.
     */
    static EventStoreException appendFailed(String stream, SQLException e) {
        if (isConnectionFailure(e)) {
            return new EventStoreException("append to " + stream + " failed: the connection to PostgreSQL broke ("
                    + describe(e) + "). The append was atomic: it either committed whole or not at all; retry the "
                    + "command with the same idempotency key to be sure it applies exactly once", e);
        }
        return new EventStoreException("append to " + stream + " failed, nothing was written: " + describe(e), e);
    }

    static String describe(SQLException e) {
        return e.getMessage() + " (SQLState " + e.getSQLState() + ")";
    }
}
