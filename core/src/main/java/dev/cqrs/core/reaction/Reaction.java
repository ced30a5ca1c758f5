package dev.cqrs.core.reaction;

import dev.cqrs.core.RecordedEvent;

/**
 * Reacts to events after they are committed, e.g. by issuing commands to other aggregates. A runner
 * delivers the events its {@link #predicate()} selects, in global order per aggregate, and keeps the
 * reaction's position under its {@link #name()}: a reaction must be idempotent, since a crash between
 * its effect and the position being saved delivers the event again. Commands it issues should carry
 * {@link RecordedEvent#idempotencyKey(String)}, which makes them so.
 */
public interface Reaction<E> {

    /** Stable and unique: the runner keeps the reaction's position under it. */
    String name();

    /** The events this reaction wants. */
    ReactionPredicate predicate();

    /**
     * Reacts to one event. Throwing makes the runner retry and, if it keeps failing, set the event
     * aside as a dead letter.
     */
    void react(RecordedEvent<E> event) throws Exception;
}
