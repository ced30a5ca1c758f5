package dev.cqrs.core;

/**
 * The position of an event in its aggregate's stream: the first event is number 1.
 *
 * <p>Zero is not an event number: a stream with no events is at {@link Version.Initial}.
 */
public record EventNumber(long value) implements Comparable<EventNumber> {

    /** The number of the first event of every stream. */
    public static final EventNumber FIRST = new EventNumber(1);

    public EventNumber {
        if (value < 1) {
            throw new IllegalArgumentException("an event number starts at 1, got " + value);
        }
    }

    public static EventNumber of(long value) {
        return new EventNumber(value);
    }

    /** The number of the event after this one. */
    public EventNumber next() {
        return new EventNumber(Math.addExact(value, 1));
    }

    @Override
    public int compareTo(EventNumber other) {
        return Long.compare(value, other.value);
    }

    @Override
    public String toString() {
        return Long.toString(value);
    }
}
