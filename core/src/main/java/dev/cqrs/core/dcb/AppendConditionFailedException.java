package dev.cqrs.core.dcb;

/**
 * Thrown by a {@link DcbEventSink} when an append's {@link AppendCondition} does not hold, including
 * when a concurrent writer got there first. Nothing of the append was written; read the query again,
 * decide again, and append with the new read's condition.
 */
public final class AppendConditionFailedException extends RuntimeException {

    private final AppendConditionFailed failure;

    public AppendConditionFailedException(AppendConditionFailed failure) {
        super(failure.message(), null, false, false);
        this.failure = failure;
    }

    public AppendConditionFailed failure() {
        return failure;
    }
}
