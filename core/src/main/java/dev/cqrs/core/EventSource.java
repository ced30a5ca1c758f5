package dev.cqrs.core;

import java.util.List;
import java.util.Optional;

/** Reads the event streams of one aggregate type. */
public interface EventSource<E> {

    /** The aggregate type whose streams this source reads. */
    String aggregateType();

    /**
     * The events after {@code since}, oldest first, at most {@code maxCount} of them.
     *
     * @return the events, empty when the stream does not exist or has none after {@code since}
     * @throws IllegalArgumentException when {@code maxCount} is negative or the id is not valid
     * @throws EventStoreException      when the store cannot be read
     */
    List<VersionedEventWithMetadata<E>> readEvents(String aggregateId, Since since, int maxCount);

    /** All events after {@code since}, oldest first. */
    default List<VersionedEventWithMetadata<E>> readEvents(String aggregateId, Since since) {
        return readEvents(aggregateId, since, Integer.MAX_VALUE);
    }

    /**
     * The events before {@code before}, newest first, at most {@code maxCount} of them.
     *
     * @return the events, empty when the stream does not exist or has none before {@code before}
     */
    List<VersionedEventWithMetadata<E>> readEventsBackward(String aggregateId, Before before, int maxCount);

    /** The stream's version, or empty when the stream does not exist. */
    Optional<Version> currentVersion(String aggregateId);
}
