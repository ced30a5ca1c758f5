package dev.cqrs.core;

import java.util.Objects;
import java.util.Optional;

/**
 * How far a stream has come: {@link Initial} before its first event, then the {@link Number} of its
 * latest event.
 *
 * <p>As a number, {@code Initial} is 0 and {@code Number(n)} is n; versions order by that number.
 */
public sealed interface Version extends Comparable<Version> permits Version.Initial, Version.Number {

    /** The version of a stream with no events. */
    Version INITIAL = new Initial();

    /** No events yet. */
    record Initial() implements Version {
        @Override
        public long asLong() {
            return 0;
        }

        @Override
        public String toString() {
            return "Initial";
        }
    }

    /** The latest event is {@code eventNumber}. */
    record Number(EventNumber eventNumber) implements Version {
        public Number {
            Objects.requireNonNull(eventNumber, "eventNumber");
        }

        @Override
        public long asLong() {
            return eventNumber.value();
        }

        @Override
        public String toString() {
            return eventNumber.toString();
        }
    }

    /** {@code 0} gives {@link #INITIAL}, {@code n > 0} gives {@code Number(n)}. */
    static Version of(long version) {
        if (version < 0) {
            throw new IllegalArgumentException("a version is 0 (Initial) or an event number, got " + version);
        }
        return version == 0 ? INITIAL : new Number(new EventNumber(version));
    }

    static Version of(EventNumber eventNumber) {
        return new Number(eventNumber);
    }

    /** 0 for {@link Initial}, else the number of the latest event. */
    long asLong();

    /** The number the next event appended to this stream gets: {@code Initial.next()} is 1. */
    default EventNumber next() {
        return new EventNumber(Math.addExact(asLong(), 1));
    }

    /** The version after {@code count} more events. */
    default Version plus(int count) {
        if (count < 0) {
            throw new IllegalArgumentException("count must not be negative: " + count);
        }
        return of(Math.addExact(asLong(), count));
    }

    /** The latest event's number, or empty at {@link Initial}. */
    default Optional<EventNumber> latestEventNumber() {
        return this instanceof Number n ? Optional.of(n.eventNumber()) : Optional.empty();
    }

    @Override
    default int compareTo(Version other) {
        return Long.compare(asLong(), other.asLong());
    }
}
