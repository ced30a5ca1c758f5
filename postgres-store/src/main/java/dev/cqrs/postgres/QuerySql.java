package dev.cqrs.postgres;

import dev.cqrs.core.dcb.Query;
import dev.cqrs.core.dcb.QueryItem;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Collections;

/**
 * A DCB {@link Query} as a select of the events of one aggregate type after a position, in log order.
 *
 * <p>When every item names tags, the events are found through the b-tree side table {@code event_tags}
 * (migration V4): for each item, the rows of one of its tags after the position (an event that matches
 * the item carries all of its tags, so any one of them finds it), then the events at those positions,
 * filtered by the whole query on their own columns ({@code event_type}, {@code tags}). One item is a
 * range scan of the side table in log order that stops at the read's {@code LIMIT}; several are the union
 * of their items' positions, each event once. An item without tags (or {@code Query.all()}) can match
 * untagged events, which the side table does not hold: such a query reads the type's events and filters
 * them.
 */
final class QuerySql {

    private QuerySql() {
    }

    /**
     * {@code SELECT columns FROM ... WHERE ... ORDER BY global_position}: the events of the aggregate type
     * after the position that match {@code query}. {@code columns} may name any column of {@code events},
     * unqualified. The parameters are set by {@link #bind}.
     */
    static String select(String schema, Query query, String columns) {
        String events = schema + ".events";
        if (!byTags(query)) {
            return "SELECT " + columns + " FROM " + events + " WHERE aggregate_type = ? AND global_position > ? AND "
                    + condition(query) + " ORDER BY global_position";
        }
        String tagged = "SELECT global_position AS tagged_position FROM " + schema + ".event_tags"
                + " WHERE aggregate_type = ? AND tag = ? AND global_position > ?";
        String positions = query.items().size() == 1
                ? tagged
                : String.join(" UNION ", Collections.nCopies(query.items().size(), tagged));
        return "SELECT " + columns + " FROM (" + positions + ") AS t JOIN " + events
                + " ON global_position = tagged_position WHERE " + condition(query) + " ORDER BY global_position";
    }

    /** Sets the parameters of {@link #select} from {@code first}; returns the next parameter's index. */
    static int bind(Connection connection, PreparedStatement ps, int first, String aggregateType, long after, Query query)
            throws SQLException {
        int p = first;
        if (byTags(query)) {
            for (QueryItem item : query.items()) {
                ps.setString(p++, aggregateType);
                ps.setString(p++, item.tags().iterator().next().text());
                ps.setLong(p++, after);
            }
        } else {
            ps.setString(p++, aggregateType);
            ps.setLong(p++, after);
        }
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

    /** Whether the side table answers the query: every item names tags, so no untagged event matches. */
    private static boolean byTags(Query query) {
        return !query.isAll() && query.items().stream().allMatch(item -> !item.tags().isEmpty());
    }

    /**
     * The query on an event's own columns: items OR'ed, an item's types as {@code event_type = ANY (?)}, its
     * tags as {@code tags @> ?} ({@code tags} is NULL for untagged events, so they never match a tag).
     */
    private static String condition(Query query) {
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
}
