package dev.cqrs.bench.dcb;

import dev.cqrs.bench.workload.MeterEvent;
import dev.cqrs.core.Event;
import dev.cqrs.core.Tag;
import java.util.Set;

/**
 * The bench's reading as a DCB event: the same fields as {@link MeterEvent.ReadingRecorded} (so the same
 * payload size) plus the meter it is about, tagged {@code meter:<id>}.
 */
public sealed interface TaggedMeterEvent extends Event {

    record ReadingTaken(String meter, long amount, String unit, String source, String note) implements TaggedMeterEvent {
        static ReadingTaken of(String meter, MeterEvent.ReadingRecorded reading) {
            return new ReadingTaken(meter, reading.amount(), reading.unit(), reading.source(), reading.note());
        }

        @Override
        public Set<Tag> eventTags() {
            return Set.of(MeterReadings.meter(meter));
        }
    }
}
