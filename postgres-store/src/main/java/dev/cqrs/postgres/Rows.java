package dev.cqrs.postgres;

import dev.cqrs.core.CommandMetadata;
import dev.cqrs.core.EventMetadata;
import dev.cqrs.core.Tag;
import java.sql.Array;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/** The event columns that every read selects, and how they map to metadata. */
final class Rows {

    /** Columns 1..10 of every event read, in this order; the tenth, tags, is read by {@link #tags(ResultSet, int)}. */
    static final String METADATA_COLUMNS =
            "event_id, correlation_id, causation_id, initiated_by, headers, recorded_at, event_type, content_type, payload,"
                    + " tags";

    private Rows() {
    }

    /** The metadata in columns {@code first}..{@code first + 5}. */
    static EventMetadata metadata(ResultSet rs, int first) throws SQLException {
        UUID eventId = rs.getObject(first, UUID.class);
        UUID correlationId = rs.getObject(first + 1, UUID.class);
        UUID causationId = rs.getObject(first + 2, UUID.class);
        String initiatedBy = rs.getString(first + 3);
        Map<String, String> headers = headers(rs.getArray(first + 4));
        Timestamp recordedAt = rs.getTimestamp(first + 5);
        return new EventMetadata(eventId, correlationId, Optional.ofNullable(causationId),
                Optional.ofNullable(initiatedBy), recordedAt.toInstant(), headers);
    }

    static Map<String, String> headers(Array array) throws SQLException {
        if (array == null) {
            return Map.of();
        }
        Object[] pairs = (Object[]) array.getArray();
        Map<String, String> headers = new HashMap<>(pairs.length);
        for (int i = 0; i + 1 < pairs.length; i += 2) {
            headers.put((String) pairs[i], (String) pairs[i + 1]);
        }
        return headers;
    }

    /** The command's headers as alternating names and values, or null when there are none. */
    static Array headerArray(Connection connection, CommandMetadata metadata) throws SQLException {
        if (metadata.headers().isEmpty()) {
            return null;
        }
        String[] pairs = new String[metadata.headers().size() * 2];
        int i = 0;
        for (Map.Entry<String, String> header : metadata.headers().entrySet()) {
            pairs[i++] = header.getKey();
            pairs[i++] = header.getValue();
        }
        return connection.createArrayOf("text", pairs);
    }

    /** The tags in column {@code column} (a text[], NULL when the event has none). */
    static Set<Tag> tags(ResultSet rs, int column) throws SQLException {
        Array array = rs.getArray(column);
        if (array == null) {
            return Set.of();
        }
        Object[] texts = (Object[]) array.getArray();
        Tag[] tags = new Tag[texts.length];
        for (int i = 0; i < texts.length; i++) {
            tags[i] = new Tag((String) texts[i]);
        }
        return Tag.sorted(Arrays.asList(tags));
    }

    /** An event's tags as a text[] parameter (sorted), or null when it has none: untagged rows keep NULL. */
    static Array tagArray(Connection connection, Set<Tag> tags) throws SQLException {
        if (tags.isEmpty()) {
            return null;
        }
        return connection.createArrayOf("text", texts(tags));
    }

    /** An event's tags joined by commas (sorted), or null when it has none; tags never hold a comma. */
    static String joinedTags(Set<Tag> tags) {
        return tags.isEmpty() ? null : String.join(",", texts(tags));
    }

    static String[] texts(Set<Tag> tags) {
        return Tag.sorted(tags).stream().map(Tag::text).toArray(String[]::new);
    }
}
