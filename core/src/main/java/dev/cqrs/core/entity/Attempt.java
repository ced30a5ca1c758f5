package dev.cqrs.core.entity;

import dev.cqrs.core.CommandResult;
import dev.cqrs.core.PreconditionFailed;

/** What one attempt of a command came to: the {@link CompositeEntityStore} loop goes on from it. */
sealed interface Attempt<S, E> {

    /** The command's result, to be returned. */
    record Done<S, E>(CommandResult<S, E> result) implements Attempt<S, E> {
    }

    /** The cached aggregate could not be trusted for this outcome: load it again, not counted as a retry. */
    record Stale<S, E>() implements Attempt<S, E> {
    }

    /** A concurrent writer won the append on a fresh load: a conflict, retried while retries are left. */
    record Lost<S, E>(PreconditionFailed conflict) implements Attempt<S, E> {
    }
}
