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
import dev.cqrs.bench.workload.MeterEvent;
import dev.cqrs.bench.workload.MeterStore;
import dev.cqrs.bench.workload.RawEventTable;
import dev.cqrs.bench.workload.Readings;
import dev.cqrs.embedded.postgres.TestDatabase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Issue 4's second figure: appends of 100 events at once from 8 clients, against raw JDBC inserting
 * the same 100 rows in one autocommitted multi-row {@code INSERT ... VALUES}.
 *
 * <p>Ours is {@code EventStore.append} with {@code ExpectedVersion}: a writer that knows its
 * stream's version (an importer, a command whose decision yields many events) and does not load
 * it first. Every aggregate takes {@value Readings#BATCHES_PER_AGGREGATE} batches.
 */
public final class BatchScenario implements Scenario {

    private static final int BATCH = Readings.BATCH;
    static final Metric METRIC = Metric.throughput("events/s");
    private static final Duration MEASURED = Duration.ofSeconds(4);
    private static final Duration WARM_UP = Duration.ofSeconds(3);

    @Override
    public String name() {
        return "batch";
    }

    @Override
    public String description() {
        return "100-event appends from 8 clients vs raw JDBC multi-row inserts of the same rows";
    }

    @Override
    public List<Comparison> run(BenchContext context) throws Exception {
        TestDatabase database = context.newDatabase("bench_batch");
        try (MeterStore ours = MeterStore.open(database); RawEventTable raw = RawEventTable.create(database, "raw")) {
            Side oursSide = new Side("ours", round -> measure(context, database, round, (client, index) ->
                    ours.appendReadings(round.tag(), client, index)));
            Side rawSide = new Side("raw JDBC", round -> measure(context, database, round, (client, index) -> {
                String id = Readings.batchTarget(round.tag(), client, index);
                long version = Readings.versionBeforeBatch(index);
                List<MeterEvent.ReadingRecorded> readings = Readings.readings(client, index * BATCH, BATCH);
                List<RawEventTable.Row> rows = new ArrayList<>(BATCH);
                for (int i = 0; i < BATCH; i++) {
                    rows.add(new RawEventTable.Row(Meter.TYPE, id, version + i + 1,
                            MeterStore.CODEC.encode(readings.get(i))));
                }
                raw.insert(rows);
            }));
            List<Figures> figures = Rounds.run(context, name(), METRIC, List.of(oursSide, rawSide));
            return List.of(new Comparison("batch",
                    context.clients() + " clients; ours: EventStore.append of 100 events with ExpectedVersion"
                            + " (one statement, then a shared NOTIFY); raw: one autocommitted 100-row"
                            + " INSERT ... VALUES of the same rows",
                    METRIC, figures.get(0), figures.get(1), Optional.of(Target.atLeast(0.8))));
        }
    }

    private static Measurement measure(BenchContext context, TestDatabase database, Round round,
                                       ClosedLoad.Operation batch) {
        return Measurement.throughput(Rounds.closedLoad(context, database, "batch", round, context.clients(),
                MEASURED, WARM_UP, batch), BATCH);
    }
}
