package dev.cqrs.bench.workload;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cqrs.core.Decision;
import org.junit.jupiter.api.Test;

class ReadingsTest {

    @Test
    void aReadingIsAboutTwoHundredBytesOfJson() {
        for (int i = 0; i < 50; i++) {
            int size = MeterStore.CODEC.encode(Readings.reading(i % 8, i * 7919L)).payload().length;
            assertThat(size).isBetween(190, 215);
        }
    }

    @Test
    void everySideWritesTheSameRowForTheSameClientAndIndex() {
        assertThat(Readings.reading(3, 42)).isEqualTo(Readings.reading(3, 42));
        assertThat(Readings.commandTarget("r1", 3, 42)).isEqualTo("c-r1-3-4");
        assertThat(Readings.commandSequence(42)).isEqualTo(3);
        assertThat(Readings.batchTarget("r1", 3, 42)).isEqualTo("b-r1-3-4");
        assertThat(Readings.versionBeforeBatch(42)).isEqualTo(200);
    }

    @Test
    void theMeterRefusesANegativeReadingAndCountsTheOthers() {
        Meter meter = new Meter();
        var reading = Readings.reading(0, 1);

        assertThat(meter.decide(MeterState.EMPTY, new MeterCommand.RecordReading(
                new MeterEvent.ReadingRecorded(-1, "kWh", "x", "y")))).isInstanceOf(Decision.Rejected.class);
        assertThat(meter.apply(MeterState.EMPTY, reading)).isEqualTo(new MeterState(1, reading.amount(), "client-0"));
    }
}
