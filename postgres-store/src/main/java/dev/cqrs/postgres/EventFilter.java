package dev.cqrs.postgres;

import java.util.Set;

/**
 * Which events a global-log read returns: those of these aggregate types and these event types. An
 * empty set means any.
 */
public record EventFilter(Set<String> aggregateTypes, Set<String> eventTypes) {

    public EventFilter {
        aggregateTypes = Set.copyOf(aggregateTypes);
        eventTypes = Set.copyOf(eventTypes);
    }

    /** Every event. */
    public static EventFilter all() {
        return new EventFilter(Set.of(), Set.of());
    }

    public static EventFilter aggregateTypes(String... types) {
        return new EventFilter(Set.of(types), Set.of());
    }

    public EventFilter withEventTypes(String... types) {
        return new EventFilter(aggregateTypes, Set.of(types));
    }

    boolean isAll() {
        return aggregateTypes.isEmpty() && eventTypes.isEmpty();
    }
}
