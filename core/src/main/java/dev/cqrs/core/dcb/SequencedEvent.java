package dev.cqrs.core.dcb;

import dev.cqrs.core.EventMetadata;
import dev.cqrs.core.EventNumber;
import dev.cqrs.core.StreamId;
import dev.cqrs.core.Tag;
import java.util.Objects;
import java.util.Set;

/**
 * An event that a query read: the event, its position in the store's global log, the stream it
 * belongs to and the tags it was stored with.
 *
 * @param position the event's global position: the order in which decisions see events
 * @param stream   the stream the event was appended to
 * @param sequence its number in that stream
 * @param tags     the tags it was stored with, sorted
 */
public record SequencedEvent<E>(long position, StreamId stream, EventNumber sequence, E event, Set<Tag> tags,
                                EventMetadata metadata) {

    public SequencedEvent {
        Objects.requireNonNull(stream, "stream");
        Objects.requireNonNull(sequence, "sequence");
        Objects.requireNonNull(event, "event");
        tags = Tag.sorted(tags);
        Objects.requireNonNull(metadata, "metadata");
    }
}
