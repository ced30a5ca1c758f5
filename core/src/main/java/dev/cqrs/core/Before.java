package dev.cqrs.core;

import java.util.Objects;

/** Where a backward read starts: at the end, or before (exclusive) a given event. */
public sealed interface Before permits Before.EndOfStream, Before.Event {

    /** From the latest event. */
    record EndOfStream() implements Before {
        @Override
        public long beforeNumber() {
            return Long.MAX_VALUE;
        }
    }

    /** The events before {@code eventNumber}, not including it. */
    record Event(EventNumber eventNumber) implements Before {
        public Event {
            Objects.requireNonNull(eventNumber, "eventNumber");
        }

        @Override
        public long beforeNumber() {
            return eventNumber.value();
        }
    }

    static Before endOfStream() {
        return new EndOfStream();
    }

    static Before event(long eventNumber) {
        return new Event(EventNumber.of(eventNumber));
    }

    /** Events with a number less than this are read. */
    long beforeNumber();
}
