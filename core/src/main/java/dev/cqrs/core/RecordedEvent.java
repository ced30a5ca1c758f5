package dev.cqrs.core;

import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * An event as the store recorded it in its global log, as every consumer receives it: a projection's
 * handler, a reactor's, a {@link dev.cqrs.core.reaction.Reaction}. One type for all of them, so a handler
 * written for one kind of consumer reads the same for another.
 *
 * @param globalPosition the event's position in the store's global log; a read model row that records
 *                       it can refuse to go backwards ({@code ... WHERE position < ?})
 * @param stream         the aggregate stream the event belongs to
 * @param sequence       its number in that stream
 * @param metadata       what was recorded with it (event id, correlation and causation ids, headers)
 * @param tags           the tags the event was stored with (its record's {@code cqrs-tags} header), sorted;
 *                       empty when none
 */
public record RecordedEvent<E>(long globalPosition, StreamId stream, EventNumber sequence, E event,
                               EventMetadata metadata, Set<Tag> tags) {

    public RecordedEvent {
        Objects.requireNonNull(stream, "stream");
        Objects.requireNonNull(sequence, "sequence");
        Objects.requireNonNull(event, "event");
        Objects.requireNonNull(metadata, "metadata");
        tags = Tag.sorted(tags);
    }

    /** An event without tags. */
    public RecordedEvent(long globalPosition, StreamId stream, EventNumber sequence, E event, EventMetadata metadata) {
        this(globalPosition, stream, sequence, event, metadata, Set.of());
    }

    /** The aggregate id: the usual primary key of a read model row. */
    public String aggregateId() {
        return stream.aggregateId();
    }

    /**
     * The value of the event's tag with this key, e.g. {@code tagValue("student")} is {@code s7} for an event
     * tagged {@code student:s7}: a read model keyed by something other than the stream. The first such tag,
     * in sorted order, when there are several.
     */
    public Optional<String> tagValue(String key) {
        return Tag.valueOf(tags, key);
    }

    /**
     * An idempotency key for a command issued in reaction to this event: the same for every delivery
     * of the event to the same reaction, so a redelivery cannot repeat the command's effect.
     */
    public String idempotencyKey(String reactionName) {
        return reactionName + ":" + metadata.eventId();
    }

    /**
     * The metadata of a command that {@code reactionName} issues in reaction to this event: its
     * {@linkplain #idempotencyKey idempotency key}, caused by this event, in this event's correlation. A
     * reactor's handlers get it filled in; a reaction that issues two commands for one event gives the
     * second a key of its own ({@code withIdempotencyKey(key + ":2")}).
     */
    public CommandMetadata causedCommand(String reactionName) {
        return CommandMetadata.create()
                .withCorrelationId(metadata.correlationId())
                .withCausationId(metadata.eventId())
                .withIdempotencyKey(idempotencyKey(reactionName));
    }
}
