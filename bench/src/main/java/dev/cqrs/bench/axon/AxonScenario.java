package dev.cqrs.bench.axon;

import dev.cqrs.bench.measure.ClosedLoad;
import dev.cqrs.bench.scenario.BenchContext;
import dev.cqrs.bench.scenario.Comparison;
import dev.cqrs.bench.scenario.Figures;
import dev.cqrs.bench.scenario.Metric;
import dev.cqrs.bench.scenario.Rounds;
import dev.cqrs.bench.scenario.Rounds.Measurement;
import dev.cqrs.bench.scenario.Rounds.Round;
import dev.cqrs.bench.scenario.Rounds.Side;
import dev.cqrs.bench.scenario.Scenario;
import dev.cqrs.bench.scenario.Target;
import dev.cqrs.bench.workload.MeterCommand;
import dev.cqrs.bench.workload.MeterEvent;
import dev.cqrs.bench.workload.MeterState;
import dev.cqrs.bench.workload.MeterStore;
import dev.cqrs.bench.workload.Readings;
import dev.cqrs.core.EntityStore;
import dev.cqrs.core.HydratedAggregate;
import dev.cqrs.embedded.postgres.TestDatabase;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The peer: Axon Framework 4.13's JDBC event storage engine on the same server (a database of its
 * own), the same event record and payload size, against ours, on the three things a user of an
 * event store feels:
 * <ul>
 *   <li>{@code axon-append}: one-event commands from 8 clients on distinct aggregates, the whole
 *       command path on both sides (load, decide, append, commit);</li>
 *   <li>{@code axon-batch}: 100 events of one aggregate appended at once, from 8 clients;</li>
 *   <li>{@code axon-load}: loading a 10,000-event aggregate without snapshots, one client.</li>
 * </ul>
 * The target is to be ahead on each: a ratio of at least 1.
 */
public final class AxonScenario implements Scenario {

    /** The peer's label in reports; the version is axon-bom's, managed in the root POM. */
    static final String AXON = "Axon 4.13.0";
    static final int LOAD_EVENTS = 10_000;
    private static final Duration MEASURED = Duration.ofSeconds(5);
    private static final Duration WARM_UP = Duration.ofSeconds(3);
    private static final Duration LOAD_MEASURED = Duration.ofSeconds(3);
    private static final Duration LOAD_WARM_UP = Duration.ofSeconds(2);
    private static final String LOADED_ID = "load-1";

    @Override
    public String name() {
        return "axon";
    }

    @Override
    public String description() {
        return "Axon Framework 4.13's JDBC event storage engine on the same server: one-event commands,"
                + " 100-event appends, and loading a 10,000-event aggregate";
    }

    @Override
    public List<Comparison> run(BenchContext context) throws Exception {
        TestDatabase oursDatabase = context.newDatabase("bench_axon_ours");
        TestDatabase axonDatabase = context.newDatabase("bench_axon");
        try (MeterStore ours = MeterStore.open(oursDatabase); AxonStore axon = new AxonStore(axonDatabase)) {
            return List.of(appends(context, ours, oursDatabase, axon, axonDatabase),
                    batches(context, ours, oursDatabase, axon, axonDatabase),
                    loads(context, ours, oursDatabase, axon, axonDatabase));
        }
    }

    private Comparison appends(BenchContext context, MeterStore ours, TestDatabase oursDatabase, AxonStore axon,
                               TestDatabase axonDatabase) throws Exception {
        EntityStore<MeterState, MeterCommand, MeterEvent> meters = ours.meters();
        Metric metric = Metric.throughput("commands/s");
        List<Figures> figures = Rounds.run(context, "axon-append", metric, List.of(
                new Side("ours", round -> throughput(context, oursDatabase, round, 1, (client, index) ->
                        ours.recordReading(meters, round.tag(), client, index))),
                new Side(AXON, round -> throughput(context, axonDatabase, round, 1, (client, index) ->
                        axon.recordReading(round.tag(), client, index)))));
        return new Comparison("axon-append", context.clients() + " clients, one-event commands, "
                + Readings.COMMANDS_PER_AGGREGATE + " per aggregate; ours: EntityStore.execute; Axon: EventSourcingRepository"
                + " load (newInstance for the first) + apply in a unit of work, committed in one JDBC transaction",
                metric, figures.get(0), figures.get(1), Optional.of(Target.atLeast(1.0)));
    }

    private Comparison batches(BenchContext context, MeterStore ours, TestDatabase oursDatabase, AxonStore axon,
                               TestDatabase axonDatabase) throws Exception {
        int size = Readings.BATCH;
        Metric metric = Metric.throughput("events/s");
        List<Figures> figures = Rounds.run(context, "axon-batch", metric, List.of(
                new Side("ours", round -> throughput(context, oursDatabase, round, size, (client, index) ->
                        ours.appendReadings(round.tag(), client, index))),
                new Side(AXON, round -> throughput(context, axonDatabase, round, size, (client, index) ->
                        axon.appendReadings(round.tag(), client, index)))));
        return new Comparison("axon-batch", context.clients() + " clients, " + size + " events of one aggregate"
                + " per append; ours: EventStore.append with ExpectedVersion; Axon: EventStore.publish in a unit"
                + " of work (a JDBC batch of " + size + " INSERTs, one transaction)",
                metric, figures.get(0), figures.get(1), Optional.of(Target.atLeast(1.0)));
    }

    private Comparison loads(BenchContext context, MeterStore ours, TestDatabase oursDatabase, AxonStore axon,
                             TestDatabase axonDatabase) throws Exception {
        int events = context.scaled(LOAD_EVENTS, 100);
        MeterState expected = ours.writeStream(LOADED_ID, events, OptionalLong.empty());
        MeterState axonExpected = axon.writeStream(LOADED_ID, events);
        if (!expected.equals(axonExpected)) {
            throw new IllegalStateException("ours and Axon's streams differ: " + expected + " vs " + axonExpected);
        }
        EntityStore<MeterState, MeterCommand, MeterEvent> meters = ours.meters();
        Metric metric = Metric.time("ms per load");
        List<Figures> figures = Rounds.run(context, "axon-load", metric, List.of(
                Rounds.timedLoads(context, oursDatabase, "ours", LOAD_MEASURED, LOAD_WARM_UP, expected,
                        () -> meters.rehydrate(LOADED_ID).map(HydratedAggregate::state).orElseThrow()),
                Rounds.timedLoads(context, axonDatabase, AXON, LOAD_MEASURED, LOAD_WARM_UP, expected,
                        () -> axon.load(LOADED_ID))));
        return new Comparison("axon-load", String.format("one aggregate of %,d events, one client, no snapshots;"
                        + " ours: EntityStore.rehydrate; Axon: EventSourcingRepository.load in a unit of work", events),
                metric, figures.get(0), figures.get(1), Optional.of(Target.atLeast(1.0)));
    }

    private static Measurement throughput(BenchContext context, TestDatabase database, Round round, int units,
                                          ClosedLoad.Operation operation) {
        return Measurement.throughput(Rounds.closedLoad(context, database, "axon", round, context.clients(),
                MEASURED, WARM_UP, operation), units);
    }
}
