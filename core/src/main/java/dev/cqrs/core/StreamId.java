package dev.cqrs.core;

/**
 * Names one aggregate's event stream: its aggregate type (e.g. {@code "todo"}) and its id.
 *
 * <p>Both are stored verbatim, whatever characters they hold, with two exceptions that are rejected
 * here with a clear message rather than deep inside a store: empty or blank values, control
 * characters, and values longer than {@link #MAX_ID_LENGTH} (ids) or {@link #MAX_TYPE_LENGTH} (types).
 */
public record StreamId(String aggregateType, String aggregateId) {

    /** The longest aggregate id accepted, in characters. */
    public static final int MAX_ID_LENGTH = 200;
    /** The longest aggregate type accepted, in characters. */
    public static final int MAX_TYPE_LENGTH = 100;

    public StreamId {
        Names.checkVerbatim("aggregate type", aggregateType, MAX_TYPE_LENGTH);
        Names.checkVerbatim("aggregate id", aggregateId, MAX_ID_LENGTH);
    }

    public static StreamId of(String aggregateType, String aggregateId) {
        return new StreamId(aggregateType, aggregateId);
    }

    /**
     * Checks a name that a store keeps verbatim: aggregate types and ids, event types, idempotency keys.
     *
     * @throws InvalidNameException when it is empty, blank, too long or holds a control character
     * @deprecated it checks more than stream names: use {@link Names#checkVerbatim}, the same check
     */
    @Deprecated
    public static String checkName(String what, String value, int maxLength) {
        return Names.checkVerbatim(what, value, maxLength);
    }

    @Override
    public String toString() {
        return aggregateType + "/" + aggregateId;
    }

    /** A name (aggregate type or id, event type, idempotency key) that no store accepts. */
    public static final class InvalidNameException extends IllegalArgumentException {
        public InvalidNameException(String message) {
            super(message);
        }
    }
}
