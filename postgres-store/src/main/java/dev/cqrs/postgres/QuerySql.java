package dev.cqrs.postgres;

import dev.cqrs.core.dcb.Query;
import dev.cqrs.core.dcb.QueryItem;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * A DCB {@link Query} as a condition on the events table: items OR'ed, an item's types as
 * {@code event_type = ANY (?)}, its tags as {@code tags @> ?} (which the partial GIN index
 * {@code events_tags} answers; {@code tags} is NULL for untagged events, so they never match a tag).
 */
final class QuerySql {

    private QuerySql() {
    }

    /** The condition, with a {@code ?} per parameter that {@link #bind} sets, in order. */
    static String condition(Query query) {
        if (query.isAll()) {
            return "true";
        }
        StringBuilder sql = new StringBuilder("(");
        for (QueryItem item : query.items()) {
            if (sql.length() > 1) {
                sql.append(" OR ");
            }
            if (item.types().isEmpty()) {
                sql.append("tags @> ?::text[]");
            } else if (item.tags().isEmpty()) {
                sql.append("event_type = ANY (?::text[])");
            } else {
                sql.append("(event_type = ANY (?::text[]) AND tags @> ?::text[])");
            }
        }
        return sql.append(')').toString();
    }

    /** Sets the condition's parameters from {@code first}; returns the next parameter's index. */
    static int bind(Connection connection, PreparedStatement ps, int first, Query query) throws SQLException {
        int p = first;
        for (QueryItem item : query.items()) {
            if (!item.types().isEmpty()) {
                ps.setArray(p++, connection.createArrayOf("text", item.types().toArray()));
            }
            if (!item.tags().isEmpty()) {
                ps.setArray(p++, connection.createArrayOf("text", Rows.texts(item.tags())));
            }
        }
        return p;
    }
}
