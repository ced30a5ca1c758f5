package dev.cqrs.core.reaction;

import dev.cqrs.core.EventMetadata;
import dev.cqrs.core.EventNumber;
import dev.cqrs.core.StreamId;
import dev.cqrs.core.Tag;
import java.util.Objects;
import java.util.Set;

/**
 * An event delivered to a {@link Reaction}, with where it sits in the global log and its stream.
 *
 * @param globalPosition the event's position in the store's global log
 * @param tags           the tags the event was stored with, sorted; empty when none
 */
public record ReactionEvent<E>(long globalPosition, StreamId stream, EventNumber sequence, E event,
                               EventMetadata metadata, Set<Tag> tags) {

    public ReactionEvent {
        Objects.requireNonNull(stream, "stream");
        Objects.requireNonNull(sequence, "sequence");
        Objects.requireNonNull(event, "event");
        Objects.requireNonNull(metadata, "metadata");
        tags = Tag.sorted(tags);
    }

    /** An event without tags (the shape before tags existed; kept so that existing callers compile). */
    public ReactionEvent(long globalPosition, StreamId stream, EventNumber sequence, E event, EventMetadata metadata) {
        this(globalPosition, stream, sequence, event, metadata, Set.of());
    }

    /**
     * An idempotency key for a command issued in reaction to this event: the same for every delivery
     * of the event to the same reaction, so a redelivery cannot repeat the command's effect.
     */
    public String idempotencyKey(String reactionName) {
        return reactionName + ":" + metadata.eventId();
    }
}
