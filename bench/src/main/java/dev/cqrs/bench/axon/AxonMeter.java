package dev.cqrs.bench.axon;

import dev.cqrs.bench.workload.MeterEvent.ReadingRecorded;
import dev.cqrs.bench.workload.MeterState;
import org.axonframework.eventsourcing.EventSourcingHandler;
import org.axonframework.messaging.annotation.SourceId;
import org.axonframework.modelling.command.AggregateIdentifier;
import org.axonframework.modelling.command.AggregateLifecycle;

/**
 * The bench's meter as an Axon aggregate, written as Axon's documentation writes one: same rule,
 * same event record, same state as {@link dev.cqrs.bench.workload.Meter}.
 */
public class AxonMeter {

    @AggregateIdentifier
    private String id;
    private MeterState state = MeterState.EMPTY;

    /** For Axon's aggregate factory, which then applies the stored events. */
    AxonMeter() {
    }

    /** A new meter with its first reading. */
    AxonMeter(String id, ReadingRecorded first) {
        this.id = id;
        record(first);
    }

    void record(ReadingRecorded reading) {
        if (reading.amount() < 0) {
            throw new IllegalArgumentException("a reading must not be negative: " + reading.amount());
        }
        AggregateLifecycle.apply(reading);
    }

    @EventSourcingHandler
    void on(ReadingRecorded reading, @SourceId String aggregateId) {
        id = aggregateId;
        state = state.with(reading);
    }

    MeterState state() {
        return state;
    }
}
