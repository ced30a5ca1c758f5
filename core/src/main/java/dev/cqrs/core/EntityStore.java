package dev.cqrs.core;

import java.util.Optional;

/**
 * Runs commands against aggregates of one type: load, check the precondition, decide, append with
 * the loaded version expected, apply, snapshot.
 *
 * <p>{@code execute(id, command, metadata)} runs a command as it comes; {@code execute(id, command,
 * precondition, metadata)} runs it only when the aggregate meets the precondition, e.g. a client's
 * {@code ExpectedVersion}.
 */
public interface EntityStore<S, C, E> extends EntitySource<S>, EntitySink<S, E> {

    /**
     * Runs one command.
     *
     * @param precondition checked against the loaded aggregate before the command is decided, e.g.
     *                     {@code ExpectedVersion(n)} from a client that read version n; empty for none
     * @return {@link CommandResult.Accepted} with what was written (possibly nothing),
     *         {@link CommandResult.Rejected} with the aggregate's reason, or
     *         {@link CommandResult.Conflict} when the precondition failed or a concurrent writer won
     *         (after the configured retries)
     * @throws EventStoreException when loading or appending failed for a reason other than a conflict;
     *                             nothing was written
     */
    default CommandResult<S, E> execute(String aggregateId, C command, Precondition precondition, CommandMetadata metadata) {
        return execute(aggregateId, command, Optional.of(precondition), metadata);
    }

    /** Runs one command with no precondition; see {@link #execute(String, Object, Precondition, CommandMetadata)}. */
    default CommandResult<S, E> execute(String aggregateId, C command, CommandMetadata metadata) {
        return execute(aggregateId, command, Optional.empty(), metadata);
    }

    /**
     * Runs one command, checked against {@code precondition} when it is present: what the two other
     * {@code execute} overloads call, and what an implementation provides.
     */
    CommandResult<S, E> execute(String aggregateId, C command, Optional<Precondition> precondition,
                                CommandMetadata metadata);
}
