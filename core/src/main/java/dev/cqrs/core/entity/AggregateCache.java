package dev.cqrs.core.entity;

import dev.cqrs.core.HydratedAggregate;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The aggregates a {@link CompositeEntityStore} wrote last, least recently used first out. Only a hint:
 * a command decided on a cached aggregate is still appended with the cached version expected, so a
 * stale entry (another process wrote since) costs a conflict, an eviction and a fresh load, never a
 * wrong write. A cache of capacity 0 holds nothing, so the command flow needs no case for "no cache".
 */
final class AggregateCache<S> {

    private final int capacity;
    private final Map<String, HydratedAggregate<S>> entries;

    AggregateCache(int capacity) {
        this.capacity = capacity;
        this.entries = new LinkedHashMap<>(Math.min(capacity, 1 << 16), 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, HydratedAggregate<S>> eldest) {
                return size() > capacity;
            }
        };
    }

    synchronized Optional<HydratedAggregate<S>> get(String aggregateId) {
        return capacity == 0 ? Optional.empty() : Optional.ofNullable(entries.get(aggregateId));
    }

    synchronized void put(String aggregateId, HydratedAggregate<S> aggregate) {
        if (capacity == 0) {
            return;
        }
        HydratedAggregate<S> present = entries.get(aggregateId);
        if (present == null || present.version().compareTo(aggregate.version()) < 0) {
            entries.put(aggregateId, aggregate);
        }
    }

    synchronized void evict(String aggregateId) {
        if (capacity > 0) {
            entries.remove(aggregateId);
        }
    }
}
