package dev.cqrs.bench.append;

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
import dev.cqrs.bench.workload.Meter;
import dev.cqrs.bench.workload.MeterCommand;
import dev.cqrs.bench.workload.MeterState;
import dev.cqrs.bench.workload.MeterEvent;
import dev.cqrs.bench.workload.MeterStore;
import dev.cqrs.bench.workload.RawEventTable;
import dev.cqrs.bench.workload.Readings;
import dev.cqrs.core.EntityStore;
import dev.cqrs.embedded.postgres.TestDatabase;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Issue 4's first figure: one-event commands from 8 clients, each on aggregates of its own, against
 * raw JDBC inserting the same rows one autocommitted single-row INSERT at a time.
 *
 * <p>Ours is the whole command path a service runs: {@code EntityStore.execute} loads the
 * aggregate (a SELECT of its events), decides, encodes the event as JSON and appends it with
 * {@code ExpectedVersion} in one autocommitted statement, then wakes listeners (a NOTIFY shared
 * with the appends that finish meanwhile). Every aggregate takes
 * {@value Readings#COMMANDS_PER_AGGREGATE} commands, so a load reads 0 to 9 events, as for a typical
 * short-lived aggregate, in the first round as in the last.
 *
 * <p>A third side, for information, appends each command's event alone with the version the
 * client knows: the difference between it and the command is the cost of the load.
 */
public final class AppendScenario implements Scenario {

    static final Metric METRIC = Metric.throughput("commands/s");
    private static final Duration MEASURED = Duration.ofSeconds(5);
    private static final Duration WARM_UP = Duration.ofSeconds(4);

    @Override
    public String name() {
        return "append";
    }

    @Override
    public String description() {
        return "one-event commands (load, decide, append) from 8 clients on distinct aggregates,"
                + " vs raw JDBC single-row insert transactions of the same rows";
    }

    @Override
    public List<Comparison> run(BenchContext context) throws Exception {
        TestDatabase database = context.newDatabase("bench_append");
        try (MeterStore ours = MeterStore.open(database); RawEventTable raw = RawEventTable.create(database, "raw")) {
            EntityStore<MeterState, MeterCommand, MeterEvent> meters = ours.meters();
            EntityStore<MeterState, MeterCommand, MeterEvent> cachedMeters = ours.cachedMeters(10_000);
            Side oursSide = new Side("ours", round -> measure(context, database, round, (client, index) ->
                    ours.recordReading(meters, round.tag(), client, index)));
            Side cachedSide = new Side("ours, aggregate cache", round -> measure(context, database, round, (client, index) ->
                    ours.recordReading(cachedMeters, "c" + round.tag(), client, index)));
            Side rawSide = new Side("raw JDBC", round -> measure(context, database, round, (client, index) -> {
                raw.insert(List.of(new RawEventTable.Row(Meter.TYPE, Readings.commandTarget(round.tag(), client, index),
                        Readings.commandSequence(index), MeterStore.CODEC.encode(Readings.reading(client, index)))));
            }));
            Side appendOnlySide = new Side("ours, append only", round -> measure(context, database, round,
                    (client, index) -> ours.appendReading("a" + round.tag(), client, index))); // other aggregates than the commands
            List<Figures> figures = Rounds.run(context, name(), METRIC, List.of(oursSide, rawSide, appendOnlySide, cachedSide));
            return List.of(
                    new Comparison("append", context.clients() + " clients; ours: EntityStore.execute of a one-event"
                            + " command (load from the database, decide, append with ExpectedVersion, notify); raw: one"
                            + " autocommitted single-row INSERT of the same row",
                            METRIC, figures.get(0), figures.get(1), Optional.of(Target.atLeast(0.7))),
                    new Comparison("append-cached", context.clients() + " clients; ours: the same commands with the"
                            + " aggregate cache on, as the to-do service runs them (a command on an aggregate this store"
                            + " wrote skips the load; the append still expects the cached version); raw: the same INSERT",
                            METRIC, figures.get(3), figures.get(1), Optional.of(Target.atLeast(0.7))),
                    new Comparison("append-only", context.clients() + " clients; where the time of a command goes:"
                            + " ours: EventStore.append of the command's one event with the version the client knows"
                            + " (no load, no decision); raw: the same single-row INSERT",
                            METRIC, figures.get(2), figures.get(1), Optional.empty()));
        }
    }

    private static Measurement measure(BenchContext context, TestDatabase database, Round round,
                                       ClosedLoad.Operation command) {
        return Measurement.throughput(Rounds.closedLoad(context, database, "append", round, context.clients(),
                MEASURED, WARM_UP, command), 1);
    }
}
