package dev.cqrs.core;

import java.util.Arrays;
import java.util.Objects;
import java.util.Set;

/**
 * An event as a store keeps it and the outbox relays it: payload bytes that only a codec decodes.
 *
 * @param globalPosition position in the store's global log; increasing in commit order
 * @param stream         the aggregate type and id
 * @param sequence       the event's number in its stream
 * @param eventType      the event's type name (see {@link Event#eventType()})
 * @param contentType    how the payload is encoded, e.g. {@code application/json} or
 *                       {@code application/vnd.cqrs.avro+wire}
 * @param payload        the encoded event; never copied or decoded on the way to Kafka
 * @param metadata       the event's metadata
 * @param tags           the tags the event was stored with (see {@link Event#eventTags()}), sorted; empty when none
 */
public record RawEvent(
        long globalPosition,
        StreamId stream,
        EventNumber sequence,
        String eventType,
        String contentType,
        byte[] payload,
        EventMetadata metadata,
        Set<Tag> tags) {

    public RawEvent {
        Objects.requireNonNull(stream, "stream");
        Objects.requireNonNull(sequence, "sequence");
        Objects.requireNonNull(eventType, "eventType");
        Objects.requireNonNull(contentType, "contentType");
        Objects.requireNonNull(payload, "payload");
        Objects.requireNonNull(metadata, "metadata");
        tags = Tag.sorted(tags);
    }

    /** An event without tags (the shape before tags existed; kept so that existing callers compile). */
    public RawEvent(long globalPosition, StreamId stream, EventNumber sequence, String eventType, String contentType,
                    byte[] payload, EventMetadata metadata) {
        this(globalPosition, stream, sequence, eventType, contentType, payload, metadata, Set.of());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RawEvent r
                && globalPosition == r.globalPosition
                && stream.equals(r.stream)
                && sequence.equals(r.sequence)
                && eventType.equals(r.eventType)
                && contentType.equals(r.contentType)
                && Arrays.equals(payload, r.payload)
                && metadata.equals(r.metadata)
                && tags.equals(r.tags);
    }

    @Override
    public int hashCode() {
        return Objects.hash(globalPosition, stream, sequence, eventType);
    }

    @Override
    public String toString() {
        return "RawEvent[" + globalPosition + " " + stream + "#" + sequence + " " + eventType + " "
                + payload.length + " bytes " + contentType + (tags.isEmpty() ? "" : " tagged " + tags) + "]";
    }
}
