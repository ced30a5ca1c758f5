package dev.cqrs.projector;

import dev.cqrs.core.EventMetadata;
import dev.cqrs.core.EventNumber;
import dev.cqrs.core.StreamId;
import java.util.Objects;

/**
 * An event delivered to a projection: the decoded event and where it stands.
 *
 * @param globalPosition the event's position in the store's global log; a read model row that records
 *                       it can refuse to go backwards ({@code ... WHERE position < ?})
 */
public record ProjectionEvent<E>(long globalPosition, StreamId stream, EventNumber sequence, E event,
                                 EventMetadata metadata) {

    public ProjectionEvent {
        Objects.requireNonNull(stream, "stream");
        Objects.requireNonNull(sequence, "sequence");
        Objects.requireNonNull(event, "event");
        Objects.requireNonNull(metadata, "metadata");
    }

    /** The aggregate id: the usual primary key of a read model row. */
    public String aggregateId() {
        return stream.aggregateId();
    }
}
