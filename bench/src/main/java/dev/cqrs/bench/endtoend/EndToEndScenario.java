package dev.cqrs.bench.endtoend;

import dev.cqrs.bench.kafka.BenchProjectors;
import dev.cqrs.bench.kafka.BenchRelays;
import dev.cqrs.bench.kafka.BenchTopics;
import dev.cqrs.bench.kafka.Visibility;
import dev.cqrs.bench.measure.Arrivals;
import dev.cqrs.bench.measure.CpuClock;
import dev.cqrs.bench.measure.CpuCost;
import dev.cqrs.bench.measure.LatencySample;
import dev.cqrs.bench.measure.OpenLoad;
import dev.cqrs.bench.scenario.BenchContext;
import dev.cqrs.bench.scenario.Comparison;
import dev.cqrs.bench.scenario.Figures;
import dev.cqrs.bench.scenario.Format;
import dev.cqrs.bench.scenario.Metric;
import dev.cqrs.bench.scenario.Rounds;
import dev.cqrs.bench.scenario.Rounds.Measurement;
import dev.cqrs.bench.scenario.Rounds.Side;
import dev.cqrs.bench.scenario.Scenario;
import dev.cqrs.bench.scenario.Target;
import dev.cqrs.bench.workload.Meter;
import dev.cqrs.bench.workload.MeterCommand;
import dev.cqrs.bench.workload.MeterEvent;
import dev.cqrs.bench.workload.MeterState;
import dev.cqrs.bench.workload.MeterStore;
import dev.cqrs.bench.workload.MeterTotals;
import dev.cqrs.bench.workload.Readings;
import dev.cqrs.core.CommandMetadata;
import dev.cqrs.core.EntityStore;
import dev.cqrs.embedded.kafka.KafkaBroker;
import dev.cqrs.embedded.postgres.TestDatabase;
import dev.cqrs.outbox.Relay;
import dev.cqrs.outbox.RelayConfig;
import dev.cqrs.projector.Projector;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Issue 8's scenario 5 (issue 6's performance section): from a command to the read model.
 *
 * <p>Ours: the whole pipeline running at once on this machine. A command is
 * {@code EntityStore.execute} of a one-event command through {@code CompositeEntityStore} with the
 * aggregate cache on (as the to-do service runs it), the relay publishes it, and a
 * {@code PostgresProjection} (Kafka Streams, exactly_once_v2) upserts the meter's row in PostgreSQL.
 * The latency runs from the command's return to the moment the meter's row, read from the view as
 * any reader would, carries the command's position (see {@link ReadModelWatch}). The baseline is the
 * same three hops written by hand with none of the guarantees ({@link RawPipeline}).
 *
 * <p>Commands come open-loop at a fixed rate ({@value #RATE}/s; they go round-robin over
 * {@value #METERS} meters, so no two commands of one meter overlap). Then a short step search finds
 * the highest rate that each side sustains with a p99 under {@value #LIMIT_MS} ms: rates doubling from
 * 1,000/s until one fails, then two bisections. A rate is sustained when the commands kept up with it
 * (95% of the offered rate done) and the p99 from return to read model stayed under the limit.
 */
public final class EndToEndScenario implements Scenario {

    static final double RATE = 1_000;
    static final double LIMIT_MS = 100;
    static final int METERS = 1_000;
    static final Metric P99 = Metric.time("ms (p99)");
    static final Metric CAPACITY = Metric.throughput("commands/s");
    private static final Duration MEASURED = Duration.ofSeconds(3);
    private static final Duration WARM_UP = Duration.ofSeconds(2);
    private static final Duration STEP = Duration.ofSeconds(2);
    private static final Duration SETTLE = Duration.ofSeconds(60);
    private static final String PROJECTION = "meters";

    @Override
    public String name() {
        return "endtoend";
    }

    @Override
    public String description() {
        return "command to read model (relay, Kafka, projector, PostgreSQL) at 1,000 commands/s, and the highest rate"
                + " sustained with p99 under 100 ms, vs a hand-written pipeline without guarantees";
    }

    /** One open-loop run of a side: the load, every latency, the CPU per command. */
    private record Run(OpenLoad.Result load, LatencySample latencies, CpuCost cpu) {

        boolean sustained() {
            return load.keptUp() && latencies.percentileNanos(99) < LIMIT_MS * 1e6;
        }
    }

    /** A side's pipeline: runs the commands of one open-loop run. */
    @FunctionalInterface
    private interface Pipeline {
        Run run(String tag, double rate, Duration duration) throws Exception;
    }

    @Override
    public List<Comparison> run(BenchContext context) throws Exception {
        KafkaBroker kafka = context.kafka();
        TestDatabase database = context.newDatabase("bench_endtoend");
        RelayConfig relayConfig = BenchRelays.config(kafka, "bench-e2e");
        String topic = relayConfig.topicOf(Meter.TYPE);
        BenchTopics.create(kafka, topic);
        try (MeterStore store = MeterStore.open(database);
             Relay relay = BenchRelays.startAndCatchUp(store.store(), relayConfig);
             Projector projector = Projector.builder(BenchProjectors.config(kafka, database, "bench-e2e"))
                     .projection(MeterTotals.projection(PROJECTION, topic)).start();
             ReadModelWatch watch = new ReadModelWatch(database, "read." + MeterTotals.TABLE);
             RawPipeline raw = new RawPipeline(kafka, database);
             Visibility inKafka = new Visibility(kafka.bootstrapServers(), topic)) {
            EntityStore<MeterState, MeterCommand, MeterEvent> meters = store.cachedMeters(100_000);
            int threads = context.clients();

            Pipeline ours = (tag, rate, duration) -> {
                int n = OpenLoad.operations(rate, duration);
                long[] returnedAt = new long[n];
                long[] positions = new long[n];
                context.checkpoint(database.dataSource());
                CpuClock.Reading before = context.cpuClock().read();
                OpenLoad.Result load = OpenLoad.run("e2e-" + tag, threads, rate, duration, (k, due) -> {
                    String meter = "e-" + tag + "-" + k % METERS;
                    var accepted = MeterStore.accepted(meter, meters.execute(meter,
                            new MeterCommand.RecordReading(Readings.reading(k % 64, k)), CommandMetadata.create()));
                    returnedAt[k] = System.nanoTime();
                    positions[k] = accepted.lastPosition().orElseThrow();
                    watch.expect(meter, positions[k]);
                });
                LatencySample latencies = Arrivals.latencies(watch, positions, returnedAt, SETTLE, "the read model");
                // Where the time went: until the event was visible in Kafka (the relay), and after (the projector).
                LatencySample toKafka = Arrivals.latencies(inKafka, positions, returnedAt, SETTLE, "Kafka");
                long[] afterKafka = new long[n];
                for (int k = 0; k < n; k++) {
                    afterKafka[k] = Math.max(0, watch.arrivedAt(positions[k], 0) - inKafka.arrivedAt(positions[k], 0));
                }
                LatencySample toReadModel = LatencySample.of(afterKafka);
                context.progress("  endtoend ours %s at %,.0f/s: command return -> visible in Kafka p50 %s p99 %s;"
                                + " then -> read model p50 %s p99 %s", tag, rate,
                        Format.millis(toKafka.percentileNanos(50)), Format.millis(toKafka.percentileNanos(99)),
                        Format.millis(toReadModel.percentileNanos(50)), Format.millis(toReadModel.percentileNanos(99)));
                return new Run(load, latencies, CpuCost.between(before, context.cpuClock().read(), n));
            };
            AtomicLong rawPositions = new AtomicLong();
            Pipeline baseline = (tag, rate, duration) -> {
                int n = OpenLoad.operations(rate, duration);
                long[] returnedAt = new long[n];
                long[] positions = new long[n];
                context.checkpoint(raw.dataSource());
                CpuClock.Reading before = context.cpuClock().read();
                OpenLoad.Result load = OpenLoad.run("e2e-raw-" + tag, threads, rate, duration, (k, due) -> {
                    long position = rawPositions.incrementAndGet();
                    raw.command("e-" + tag + "-" + k % METERS, k / METERS + 1, position, Readings.reading(k % 64, k));
                    returnedAt[k] = System.nanoTime();
                    positions[k] = position;
                });
                LatencySample latencies = Arrivals.latencies(raw, positions, returnedAt, SETTLE, "the raw read model");
                return new Run(load, latencies, CpuCost.between(before, context.cpuClock().read(), n));
            };

            Side oursSide = new Side("ours", round -> measured(context, ours.run(round.tag(), RATE,
                    context.scaled(round.isWarmUp() ? WARM_UP : MEASURED)), "ours"));
            Side rawSide = new Side("hand-written pipeline", round -> measured(context, baseline.run(round.tag(), RATE,
                    context.scaled(round.isWarmUp() ? WARM_UP : MEASURED)), "raw"));
            List<Figures> figures = Rounds.run(context, "endtoend", P99, List.of(oursSide, rawSide));
            Comparison atRate = new Comparison("endtoend", String.format(Locale.ROOT, "%,.0f commands/s, open loop"
                            + " (%d threads, %,d meters round-robin), time from a command's return until its meter's row"
                            + " in the read model's view carries its position, p99 per round; ours: CompositeEntityStore"
                            + " (aggregate cache on) -> relay -> Kafka -> PostgresProjection (Kafka Streams,"
                            + " exactly_once_v2); baseline: raw JDBC insert + KafkaProducer.send (no outbox, no"
                            + " transactions) -> a plain consumer -> one JDBC batch upsert per poll",
                    RATE, threads, METERS),
                    P99, figures.get(0), figures.get(1), Optional.of(Target.oursBelow(50)));

            Figures oursCapacity = capacity(context, "ours", ours);
            Figures rawCapacity = capacity(context, "hand-written pipeline", baseline);
            Comparison capacity = new Comparison("endtoend-capacity", String.format(Locale.ROOT,
                    "the highest rate sustained with p99 (command return to read model) under %.0f ms and 95%% of the"
                            + " commands done on time: steps of %d s from 1,000/s doubling until one fails, then two"
                            + " bisections; latencies of the rate found; the same pipelines as endtoend",
                    LIMIT_MS, context.scaled(STEP).toSeconds()),
                    CAPACITY, oursCapacity, rawCapacity, Optional.empty());
            return List.of(atRate, capacity);
        }
    }

    private static Measurement measured(BenchContext context, Run run, String side) {
        if (!run.load().keptUp()) {
            context.progress("  endtoend %s: the commands fell behind: %.0f of %.0f/s", side,
                    run.load().achievedPerSecond(), run.load().rate());
        }
        return new Measurement(run.latencies().percentileNanos(99) / 1e6, run.latencies(), run.cpu());
    }

    /** The step search: the highest rate sustained, as a one-round figure with that rate's latencies. */
    private static Figures capacity(BenchContext context, String label, Pipeline pipeline) throws Exception {
        Duration step = context.scaled(STEP);
        List<String> tried = new ArrayList<>();
        Run best = null;
        double bestRate = 0;
        double failedRate = Double.POSITIVE_INFINITY;
        int n = 0;
        for (double rate = 1_000; rate <= 64_000 && failedRate == Double.POSITIVE_INFINITY; rate *= 2) {
            Run run = pipeline.run("s" + n++, rate, step);
            tried.add(describe(rate, run));
            if (run.sustained()) {
                best = run;
                bestRate = rate;
            } else {
                failedRate = rate;
            }
        }
        for (double rate = 500; best == null && rate >= 125; rate /= 2) {
            Run run = pipeline.run("s" + n++, rate, step);
            tried.add(describe(rate, run));
            if (run.sustained()) {
                best = run;
                bestRate = rate;
            } else {
                failedRate = rate;
            }
        }
        for (int i = 0; i < 2 && best != null && failedRate < Double.POSITIVE_INFINITY; i++) {
            double rate = Math.round((bestRate + failedRate) / 2 / 100) * 100.0;
            if (rate <= bestRate || rate >= failedRate) {
                break;
            }
            Run run = pipeline.run("s" + n++, rate, step);
            tried.add(describe(rate, run));
            if (run.sustained()) {
                best = run;
                bestRate = rate;
            } else {
                failedRate = rate;
            }
        }
        context.progress("  endtoend-capacity %s: %s", label, String.join(", ", tried));
        if (best == null) {
            throw new IllegalStateException(label + " sustained no rate down to 125 commands/s: " + String.join(", ", tried));
        }
        return new Figures(label, List.of(bestRate), best.latencies(), List.of(best.cpu()));
    }

    private static String describe(double rate, Run run) {
        return String.format(Locale.ROOT, "%s/s: %s, p99 %s%s", Format.number(rate),
                run.sustained() ? "sustained" : "not sustained", Format.millis(run.latencies().percentileNanos(99)),
                run.load().keptUp() ? "" : " (fell behind: " + Format.number(run.load().achievedPerSecond()) + "/s done)");
    }
}
