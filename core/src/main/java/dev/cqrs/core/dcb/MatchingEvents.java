package dev.cqrs.core.dcb;

import java.util.List;
import java.util.Objects;

/**
 * What a read of a query found: the matching events in log order, and the position the read covers.
 *
 * @param query    the query read
 * @param events   every event matching the query after the read's starting point and up to {@code position},
 *                 oldest first
 * @param position the global position the read covers: no event matching the query at or before it is
 *                 missing from {@code events}, now or later (the store's log is final up to there). It can
 *                 be higher than the last event's position; it is the {@code after} of the append
 *                 condition that protects a decision made on these events
 */
public record MatchingEvents<E>(Query query, List<SequencedEvent<E>> events, long position) {

    public MatchingEvents {
        Objects.requireNonNull(query, "query");
        events = List.copyOf(events);
        if (position < 0) {
            throw new IllegalArgumentException("a read position must not be negative: " + position);
        }
    }

    /** The condition for an append decided on these events: nothing new matches the query after them. */
    public AppendCondition appendCondition() {
        return AppendCondition.failIfEventsMatch(query).after(position);
    }

    /** The events alone, oldest first. */
    public List<E> eventsOnly() {
        return events.stream().map(SequencedEvent::event).toList();
    }
}
