package dev.cqrs.core;

import java.util.Optional;

/** Loads aggregates: the latest usable snapshot, then the events after it. */
public interface EntitySource<S> {

    /**
     * @return the aggregate at its current version, or empty when it has no events
     * @throws EventStoreException when the store cannot be read or an event cannot be decoded
     */
    Optional<HydratedAggregate<S>> rehydrate(String aggregateId);
}
