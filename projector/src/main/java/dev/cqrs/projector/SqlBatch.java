package dev.cqrs.projector;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** The statements one event's handler wrote, in order. */
final class SqlBatch implements SqlWriter {

    record Statement(String sql, Object[] parameters) {
    }

    final List<Statement> statements = new ArrayList<>(2);

    @Override
    public void execute(String sql, Object... parameters) {
        statements.add(new Statement(Objects.requireNonNull(sql, "sql"), parameters.clone()));
    }
}
