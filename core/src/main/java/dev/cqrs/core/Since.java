package dev.cqrs.core;

import java.util.Objects;

/** Where a forward read starts: at the beginning, or after (exclusive) a given event. */
public sealed interface Since permits Since.BeginningOfStream, Since.Event {

    /** From the first event. */
    record BeginningOfStream() implements Since {
        @Override
        public long afterNumber() {
            return 0;
        }
    }

    /** The events after {@code eventNumber}, not including it. */
    record Event(EventNumber eventNumber) implements Since {
        public Event {
            Objects.requireNonNull(eventNumber, "eventNumber");
        }

        @Override
        public long afterNumber() {
            return eventNumber.value();
        }
    }

    static Since beginning() {
        return new BeginningOfStream();
    }

    static Since event(long eventNumber) {
        return new Event(EventNumber.of(eventNumber));
    }

    /** The events after a version: all of them after {@code Initial}. */
    static Since version(Version version) {
        return version.latestEventNumber().<Since>map(Event::new).orElseGet(BeginningOfStream::new);
    }

    /** Events with a number greater than this are read: 0 for the beginning. */
    long afterNumber();
}
