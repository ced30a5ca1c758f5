package dev.cqrs.postgres;

import dev.cqrs.core.CommandMetadata;
import dev.cqrs.core.EventMetadata;
import java.sql.Array;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/** The event columns that every read selects, and how they map to metadata. */
final class Rows {

    /** Columns 1..9 of every event read, in this order. */
    static final String METADATA_COLUMNS =
            "event_id, correlation_id, causation_id, initiated_by, headers, recorded_at, event_type, content_type, payload";

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
}
