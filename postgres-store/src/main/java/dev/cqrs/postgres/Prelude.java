package dev.cqrs.postgres;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * Statements sent before a statement of the store's, in one multi-statement prepared statement: one round
 * trip, and (in autocommit) one transaction, which the driver ends with a single Sync after them. The
 * server runs them in order, so the main statement's snapshot is taken after they ran: this is how a
 * read, a condition's check and an append take their {@link ConsistencyLocks} at no extra round trip.
 * They must not write (an append's insert stays its transaction's first write).
 */
interface Prelude {

    Prelude NONE = new Prelude() {
        @Override
        public String sql() {
            return "";
        }

        @Override
        public int bind(PreparedStatement ps) {
            return 1;
        }

        @Override
        public int statements() {
            return 0;
        }
    };

    /** The statements, each followed by {@code "; "}. */
    String sql();

    /** Sets their parameters from 1; returns the index of the main statement's first. */
    int bind(PreparedStatement ps) throws SQLException;

    /** How many statements (and so results) come before the main one. */
    int statements();

    /** Runs {@code ps} (this prelude, then a statement that returns rows) and returns the rows of the last. */
    default ResultSet execute(PreparedStatement ps) throws SQLException {
        if (statements() == 0) {
            return ps.executeQuery();
        }
        ps.execute();
        for (int i = 0; i < statements(); i++) {
            ps.getMoreResults();
        }
        ResultSet rs = ps.getResultSet();
        if (rs == null) {
            throw new SQLException("the statement after the prelude returned no rows");
        }
        return rs;
    }
}
