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
     * The events after {@code since}, oldest first, at most {@code maxCount} of them, without their metadata:
     * what folding an aggregate needs. A store that can read less for it does (PostgreSQL reads neither ids,
     * timestamps, headers nor tags); by default it is {@link #readEvents(String, Since, int)} without the metadata.
     */
    default List<VersionedEvent<E>> readEventsWithoutMetadata(String aggregateId, Since since, int maxCount) {
        return readEvents(aggregateId, since, maxCount).stream()
                .map(e -> new VersionedEvent<>(e.sequence(), e.event()))
                .toList();
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
