package dev.cqrs.core.entity;

import dev.cqrs.core.HydratedAggregate;
import dev.cqrs.core.Version;
import java.util.Optional;

/**
 * An aggregate as one attempt of a command found it, and whether it came from the cache, which makes it
 * a hint to be confirmed rather than the truth.
 *
 * @param aggregate the aggregate, its initial state when the stream has no events
 * @param current   the stream's version, empty when it has no events: what a precondition is checked against
 * @param cached    true when taken from this store's cache instead of the event store
 */
record Loaded<S>(HydratedAggregate<S> aggregate, Optional<Version> current, boolean cached) {
}
