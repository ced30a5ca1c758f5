package dev.cqrs.bench.workload;

import java.util.List;

/** What the bench asks of a meter. */
public sealed interface MeterCommand {

    /** Record one reading: one event. */
    record RecordReading(MeterEvent.ReadingRecorded reading) implements MeterCommand {
    }

    /** Record many readings at once: one event each, appended together. */
    record RecordReadings(List<MeterEvent.ReadingRecorded> readings) implements MeterCommand {
        public RecordReadings {
            readings = List.copyOf(readings);
        }
    }
}
