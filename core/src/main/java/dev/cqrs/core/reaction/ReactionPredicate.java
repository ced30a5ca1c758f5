package dev.cqrs.core.reaction;

import java.util.Set;

/**
 * Which events a {@link Reaction} wants: events of these aggregate types and these event types. An
 * empty set means any.
 */
public record ReactionPredicate(Set<String> aggregateTypes, Set<String> eventTypes) {

    public ReactionPredicate {
        aggregateTypes = Set.copyOf(aggregateTypes);
        eventTypes = Set.copyOf(eventTypes);
    }

    /** Every event of every aggregate. */
    public static ReactionPredicate all() {
        return new ReactionPredicate(Set.of(), Set.of());
    }

    /** Every event of one aggregate type. */
    public static ReactionPredicate aggregate(String aggregateType) {
        return new ReactionPredicate(Set.of(aggregateType), Set.of());
    }

    /** Only these event types. */
    public ReactionPredicate withEventTypes(String... types) {
        return new ReactionPredicate(aggregateTypes, Set.of(types));
    }

    public boolean test(String aggregateType, String eventType) {
        return (aggregateTypes.isEmpty() || aggregateTypes.contains(aggregateType))
                && (eventTypes.isEmpty() || eventTypes.contains(eventType));
    }
}
