package dev.cqrs.core.reaction;

import dev.cqrs.core.EventMetadata;
import dev.cqrs.core.EventNumber;
import dev.cqrs.core.StreamId;
import java.util.Objects;

/**
 * An event delivered to a {@link Reaction}, with where it sits in the global log and its stream.
 *
 * @param globalPosition the event's position in the store's global log
 */
public record ReactionEvent<E>(long globalPosition, StreamId stream, EventNumber sequence, E event,
                               EventMetadata metadata) {

    public ReactionEvent {
        Objects.requireNonNull(stream, "stream");
        Objects.requireNonNull(sequence, "sequence");
        Objects.requireNonNull(event, "event");
        Objects.requireNonNull(metadata, "metadata");
    }

    /**
     * An idempotency key for a command issued in reaction to this event: the same for every delivery
     * of the event to the same reaction, so a redelivery cannot repeat the command's effect.
     */
    public String idempotencyKey(String reactionName) {
        return reactionName + ":" + metadata.eventId();
    }
}
