package dev.cqrs.core;

/**
 * An aggregate type as a decider: a state, the commands it decides on and the events it is built
 * from. The functions here are pure (no I/O, no clock unless the aggregate holds one); stores,
 * transactions and retries live elsewhere, so an aggregate is tested with a list of events and a
 * command (see {@code dev.cqrs.core.testing.AggregateScenario}).
 *
 * <pre>{@code
 * state = fold(apply, initialState(), events so far)
 * decide(state, command) -> Accepted(new events) | Rejected(reason)
 * }</pre>
 *
 * @param <S> the state, best an immutable record (or a sealed interface of records)
 * @param <C> the commands, best a sealed interface of records
 * @param <E> the events, best a sealed interface of records
 */
public interface Aggregate<S, C, E extends Event> {

    /** The name of this aggregate type in stores and topics, e.g. {@code "todo"}. Never change it. */
    String aggregateType();

    /** The state before the first event. */
    S initialState();

    /** Decides what a command causes in a state. Must not change {@code state} or do I/O. */
    Decision<E> decide(S state, C command);

    /** The state after an event. Must accept every event that {@link #decide} ever produced. */
    S apply(S state, E event);

    /**
     * The version of the state's shape, kept with snapshots. Raise it whenever the state's fields
     * change: snapshots of another shape are then ignored and the aggregate is rebuilt from events.
     */
    default int stateSchemaVersion() {
        return 1;
    }

    /** Applies events in order, starting from {@code state}. */
    default S applyAll(S state, Iterable<? extends E> events) {
        S current = state;
        for (E event : events) {
            current = apply(current, event);
        }
        return current;
    }
}
