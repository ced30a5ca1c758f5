package dev.cqrs.core.codec;

import java.util.Arrays;
import java.util.Objects;

/**
 * An event as bytes: its type name, how it is encoded, and the payload.
 *
 * @param contentType e.g. {@code application/json}; lets a reader pick the codec
 */
public record EncodedEvent(String eventType, String contentType, byte[] payload) {

    public EncodedEvent {
        Objects.requireNonNull(eventType, "eventType");
        Objects.requireNonNull(contentType, "contentType");
        Objects.requireNonNull(payload, "payload");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof EncodedEvent e && eventType.equals(e.eventType) && contentType.equals(e.contentType)
                && Arrays.equals(payload, e.payload);
    }

    @Override
    public int hashCode() {
        return Objects.hash(eventType, contentType, Arrays.hashCode(payload));
    }

    @Override
    public String toString() {
        return "EncodedEvent[" + eventType + ", " + contentType + ", " + payload.length + " bytes]";
    }
}
