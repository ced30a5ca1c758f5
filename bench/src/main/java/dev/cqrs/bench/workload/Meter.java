package dev.cqrs.bench.workload;

import dev.cqrs.core.Aggregate;
import dev.cqrs.core.Decision;
import java.util.List;

/**
 * The bench aggregate, a decider like any user's: a reading must not be negative; every accepted
 * reading is one {@link MeterEvent.ReadingRecorded}.
 */
public final class Meter implements Aggregate<MeterState, MeterCommand, MeterEvent> {

    public static final String TYPE = "meter";

    @Override
    public String aggregateType() {
        return TYPE;
    }

    @Override
    public MeterState initialState() {
        return MeterState.EMPTY;
    }

    @Override
    public Decision<MeterEvent> decide(MeterState state, MeterCommand command) {
        List<MeterEvent.ReadingRecorded> readings = switch (command) {
            case MeterCommand.RecordReading one -> List.of(one.reading());
            case MeterCommand.RecordReadings many -> many.readings();
        };
        for (MeterEvent.ReadingRecorded reading : readings) {
            if (reading.amount() < 0) {
                return Decision.reject("NEGATIVE_READING", "a reading must not be negative: " + reading.amount());
            }
        }
        return Decision.accept(List.<MeterEvent>copyOf(readings));
    }

    @Override
    public MeterState apply(MeterState state, MeterEvent event) {
        return switch (event) {
            case MeterEvent.ReadingRecorded reading -> state.with(reading);
        };
    }
}
