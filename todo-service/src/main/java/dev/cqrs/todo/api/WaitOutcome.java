package dev.cqrs.todo.api;

/**
 * How a wait for the read model to reflect a global position ended ({@link TodoGraphQL.ReadModelWait}).
 * A query reports it in {@code extensions.readYourWrites.outcome}.
 */
public enum WaitOutcome {
    /** The read model has applied every event up to the position. */
    REACHED,
    /**
     * The projection went past the position, but the event at it went to the dead-letter topic: its row was
     * never applied, so the read model does not show that write.
     */
    DEAD_LETTERED,
    /** The wait ended before the read model reached the position: the answer may not show the write. */
    TIMED_OUT
}
