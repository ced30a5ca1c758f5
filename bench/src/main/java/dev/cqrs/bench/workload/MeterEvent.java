package dev.cqrs.bench.workload;

import dev.cqrs.core.Event;

/** The bench aggregate's events: one kind, about 200 bytes of JSON, like a typical business event. */
public sealed interface MeterEvent extends Event {

    /** A meter reading was recorded. */
    record ReadingRecorded(long amount, String unit, String source, String note) implements MeterEvent {
    }
}
