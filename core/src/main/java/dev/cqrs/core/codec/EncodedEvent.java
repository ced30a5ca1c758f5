package dev.cqrs.core.codec;

import dev.cqrs.core.Tag;
import java.util.Arrays;
import java.util.Objects;
import java.util.Set;

/**
 * An event as bytes: its type name, how it is encoded, the payload, and the tags a store keeps beside it.
 *
 * @param contentType e.g. {@code application/json}; lets a reader pick the codec
 * @param tags        the event's tags ({@link dev.cqrs.core.Event#eventTags()}), sorted. Codecs do not encode
 *                    them (a codec makes an untagged {@code EncodedEvent}); stores add them with
 *                    {@link #withTags} before they append
 */
public record EncodedEvent(String eventType, String contentType, byte[] payload, Set<Tag> tags) {

    public EncodedEvent {
        Objects.requireNonNull(eventType, "eventType");
        Objects.requireNonNull(contentType, "contentType");
        Objects.requireNonNull(payload, "payload");
        tags = Tag.sorted(tags);
    }

    /** An event without tags, as a codec makes it. */
    public EncodedEvent(String eventType, String contentType, byte[] payload) {
        this(eventType, contentType, payload, Set.of());
    }

    /** This event with {@code tags}. */
    public EncodedEvent withTags(Set<Tag> tags) {
        return new EncodedEvent(eventType, contentType, payload, tags);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof EncodedEvent e && eventType.equals(e.eventType) && contentType.equals(e.contentType)
                && Arrays.equals(payload, e.payload) && tags.equals(e.tags);
    }

    @Override
    public int hashCode() {
        return Objects.hash(eventType, contentType, Arrays.hashCode(payload));
    }

    @Override
    public String toString() {
        return "EncodedEvent[" + eventType + ", " + contentType + ", " + payload.length + " bytes"
                + (tags.isEmpty() ? "" : ", tagged " + tags) + "]";
    }
}
