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

    /**
     * The condition on the aggregate type, with one {@code ?}. When every item names tags, the tag index is
     * the way in, and {@code aggregate_type} is written so that no index on it can be used
     * ({@code aggregate_type || '' = ?}): with statistics that lag a growing type (a new aggregate type, or a
     * fast one between two ANALYZEs) the planner otherwise ANDs the tag index with a scan of all the type's
     * entries in the stream index, which grows with the type (200,000 events: 13 ms instead of 0.05 ms).
     * Items without tags need the stream index's range of the type, so they keep the plain form.
     */
    static String aggregateTypeCondition(Query query) {
        boolean tagged = !query.isAll() && query.items().stream().allMatch(item -> !item.tags().isEmpty());
        return tagged ? "aggregate_type || '' = ?" : "aggregate_type = ?";
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
