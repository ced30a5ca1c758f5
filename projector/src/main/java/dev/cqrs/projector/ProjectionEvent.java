package dev.cqrs.projector;

import dev.cqrs.core.EventMetadata;
import dev.cqrs.core.EventNumber;
import dev.cqrs.core.StreamId;
import dev.cqrs.core.Tag;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * An event delivered to a projection: the decoded event and where it stands.
 *
 * @param globalPosition the event's position in the store's global log; a read model row that records
 *                       it can refuse to go backwards ({@code ... WHERE position < ?})
 * @param tags           the tags the event was stored with (its record's {@code cqrs-tags} header), sorted
 */
public record ProjectionEvent<E>(long globalPosition, StreamId stream, EventNumber sequence, E event,
                                 EventMetadata metadata, Set<Tag> tags) {

    public ProjectionEvent {
        Objects.requireNonNull(stream, "stream");
        Objects.requireNonNull(sequence, "sequence");
        Objects.requireNonNull(event, "event");
        Objects.requireNonNull(metadata, "metadata");
        tags = Tag.sorted(tags);
    }

    /** An event without tags (the shape before tags existed; kept so that existing callers compile). */
    public ProjectionEvent(long globalPosition, StreamId stream, EventNumber sequence, E event, EventMetadata metadata) {
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
}
