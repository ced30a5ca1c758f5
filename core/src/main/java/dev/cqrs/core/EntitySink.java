package dev.cqrs.core;

import java.util.List;

/** Persists what was decided on a loaded aggregate: appends the events, applies them, snapshots. */
public interface EntitySink<S, E> {

    /**
     * Appends {@code events} expecting the stream still at {@code loaded.version()}, applies them to the
     * state and takes a snapshot when the snapshot strategy recommends one.
     *
     * @return the aggregate after the events, and what the append wrote
     * @throws PreconditionFailedException when the stream moved since it was loaded; nothing was written
     * @throws EventStoreException         when the store failed; nothing was written
     */
    Persisted<S> persist(String aggregateId, HydratedAggregate<S> loaded, List<? extends E> events,
                         CommandMetadata metadata);

    /** An aggregate after an append, and the append. */
    record Persisted<S>(HydratedAggregate<S> aggregate, AppendResult append) {
    }
}
