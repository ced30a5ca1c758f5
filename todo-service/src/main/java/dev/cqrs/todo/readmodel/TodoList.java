package dev.cqrs.todo.readmodel;

import dev.cqrs.core.Names;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import javax.sql.DataSource;

/**
 * Queries of the to-do list read model, through the view {@code <readSchema>.todos} that points at the
 * projection's active generation.
 *
 * <p>Paging is by keyset on {@code created_position}, newest first: a page after a cursor holds the
 * to-dos created before the cursor's one, so to-dos added meanwhile never shift a later page.
 *
 * <p>Failures surface as {@link ReadModelUnavailableException}: the database is down, or no projector
 * has created the read model yet.
 */
public final class TodoList {

    /** The longest read schema name accepted (the projector's limit). */
    private static final int MAX_SCHEMA_LENGTH = 41;
    private static final String COLUMNS = "id, description, reminder, completed, version, position, created_position";

    private final DataSource readModel;
    private final String view;

    /**
     * @param readModel  the read-model database
     * @param readSchema the projector's read schema (e.g. {@code read}), where the views are
     */
    public TodoList(DataSource readModel, String readSchema) {
        this.readModel = Objects.requireNonNull(readModel, "readModel");
        if (!Names.isLowerCaseIdentifier(readSchema, MAX_SCHEMA_LENGTH)) {
            throw new IllegalArgumentException("read schema '" + readSchema + "' must be a lower-case SQL identifier");
        }
        this.view = readSchema + "." + TodoListProjection.VIEW;
    }

    /**
     * Up to {@code first} to-dos created before the one at {@code beforeCreatedPosition} (from the
     * newest when empty), and the total count, read in one snapshot of the database.
     */
    public TodoPage page(int first, OptionalLong beforeCreatedPosition) {
        if (first < 0) {
            throw new IllegalArgumentException("first must not be negative: " + first);
        }
        String sql = "SELECT " + COLUMNS + " FROM " + view
                + (beforeCreatedPosition.isPresent() ? " WHERE created_position < ?" : "")
                + " ORDER BY created_position DESC LIMIT ?";
        try (Connection c = readModel.getConnection()) {
            c.setAutoCommit(false);
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            c.setReadOnly(true);
            try {
                long total;
                try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM " + view); ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    total = rs.getLong(1);
                }
                List<TodoRow> rows = new ArrayList<>();
                try (PreparedStatement ps = c.prepareStatement(sql)) {
                    int p = 1;
                    if (beforeCreatedPosition.isPresent()) {
                        ps.setLong(p++, beforeCreatedPosition.getAsLong());
                    }
                    ps.setInt(p, first + 1);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            rows.add(row(rs));
                        }
                    }
                }
                c.commit();
                boolean more = rows.size() > first;
                return new TodoPage(total, more ? rows.subList(0, first) : rows, more);
            } finally {
                c.rollback();
            }
        } catch (SQLException e) {
            throw unavailable("reading a page of the to-do list", e);
        }
    }

    /** The to-do with this id, if the read model has it. */
    public Optional<TodoRow> find(String id) {
        try (Connection c = readModel.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM " + view + " WHERE id = ?")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(row(rs)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw unavailable("reading to-do " + id, e);
        }
    }

    private static TodoRow row(ResultSet rs) throws SQLException {
        Timestamp reminder = rs.getTimestamp(3);
        return new TodoRow(rs.getString(1), rs.getString(2), Optional.ofNullable(reminder).map(Timestamp::toInstant),
                rs.getBoolean(4), rs.getLong(5), rs.getLong(6), rs.getLong(7));
    }

    private ReadModelUnavailableException unavailable(String what, SQLException e) {
        // 42P01: undefined table: the projector has not created the read model (yet).
        String reason = "42P01".equals(e.getSQLState())
                ? "the read model " + view + " does not exist yet (is a projector running?)"
                : e.getMessage();
        return new ReadModelUnavailableException(what + " failed: " + reason, e);
    }

    /** The read model cannot be read now: the database is unreachable, or the read model is not there yet. */
    public static final class ReadModelUnavailableException extends RuntimeException {
        public ReadModelUnavailableException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
