package dev.cqrs.core;

/**
 * Thrown by an {@link EventSink} when an append's precondition does not hold, including when a
 * concurrent writer got there first. Nothing of the append was written.
 */
public final class PreconditionFailedException extends RuntimeException {

    private final PreconditionFailed failure;

    public PreconditionFailedException(PreconditionFailed failure) {
        super(failure.message(), null, false, false);
        this.failure = failure;
    }

    public PreconditionFailed failure() {
        return failure;
    }
}
