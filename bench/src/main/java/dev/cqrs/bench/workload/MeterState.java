package dev.cqrs.bench.workload;

/** A meter's state: small, so that a snapshot is cheap and rehydration cost is the events' cost. */
public record MeterState(long readings, long total, String lastSource) {

    public static final MeterState EMPTY = new MeterState(0, 0, "");

    public MeterState with(MeterEvent.ReadingRecorded reading) {
        return new MeterState(readings + 1, total + reading.amount(), reading.source());
    }
}
