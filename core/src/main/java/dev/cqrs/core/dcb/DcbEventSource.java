package dev.cqrs.core.dcb;

/**
 * Reads the events that match a {@link Query}, across all the streams of one aggregate type, in the
 * order of the store's global log.
 */
public interface DcbEventSource<E> {

    /** The aggregate type whose events this source reads. */
    String aggregateType();

    /**
     * At most {@code maxCount} events matching {@code query} after position {@code after}, oldest first,
     * and the position the read covers ({@link MatchingEvents#position()}): the store's final position at
     * the time of the read, or, when {@code maxCount} cut the read short, the last event's.
     *
     * @param after a global position; 0 reads from the first event
     * @throws IllegalArgumentException when {@code after} or {@code maxCount} is negative
     * @throws dev.cqrs.core.EventStoreException when the store cannot be read or an event cannot be decoded
     */
    MatchingEvents<E> read(Query query, long after, int maxCount);

    /** Every event matching {@code query}, oldest first, and the position the read covers. */
    default MatchingEvents<E> read(Query query) {
        return read(query, 0, Integer.MAX_VALUE);
    }
}
