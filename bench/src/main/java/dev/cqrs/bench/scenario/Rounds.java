package dev.cqrs.bench.scenario;

import dev.cqrs.bench.measure.ClosedLoad;
import dev.cqrs.bench.measure.CpuClock;
import dev.cqrs.bench.measure.CpuCost;
import dev.cqrs.bench.measure.LatencySample;
import dev.cqrs.embedded.postgres.TestDatabase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Runs the sides of a comparison in alternation: a warm-up of each (JIT, prepared statements,
 * connection pools, caches), then every side once per round, with the side that goes first
 * rotating from round to round so that neither always inherits the other's dirty pages or WAL.
 * These machines are noisy: a median over rounds, each side measured between the other's, is
 * what makes a ratio from one run worth quoting.
 */
public final class Rounds {

    /** A round: its number from 1, or the warm-up. */
    public record Round(int number) {

        public static final Round WARM_UP = new Round(0);

        public boolean isWarmUp() {
            return number == 0;
        }

        /** A short tag to keep rows of different rounds apart, e.g. in aggregate ids: {@code w}, {@code r1}. */
        public String tag() {
            return isWarmUp() ? "w" : "r" + number;
        }
    }

    /**
     * What one side measured in one round: its value in the metric's unit, every latency, and the
     * CPU that an operation cost the client and the server.
     */
    public record Measurement(double value, LatencySample latencies, CpuCost cpu) {

        /** Units per second, where one operation is {@code unitsPerOperation} units (e.g. 100 events). */
        public static Measurement throughput(Run run, int unitsPerOperation) {
            return new Measurement(run.result().operationsPerSecond() * unitsPerOperation, run.result().latencies(),
                    run.cpu());
        }

        /** The mean time of one operation, in milliseconds. */
        public static Measurement meanMillis(Run run) {
            return new Measurement(run.result().latencies().meanNanos() / 1e6, run.result().latencies(), run.cpu());
        }
    }

    /** A closed-loop run and the CPU per operation it cost. */
    public record Run(ClosedLoad.Result result, CpuCost cpu) {
    }

    /** Measures one side once. */
    @FunctionalInterface
    public interface Measure {
        Measurement measure(Round round) throws Exception;
    }

    /** A side of a comparison: its label (e.g. {@code ours}, {@code raw JDBC}) and how to measure it. */
    public record Side(String label, Measure measure) {
        public Side {
            Objects.requireNonNull(label, "label");
            Objects.requireNonNull(measure, "measure");
        }
    }

    private Rounds() {
    }

    /**
     * One closed-loop run ({@link ClosedLoad}) of a side, after a {@code CHECKPOINT}, for the
     * round's duration: {@code warmUp} in the warm-up, {@code measured} otherwise (both scaled).
     */
    public static Run closedLoad(BenchContext context, TestDatabase database, String name, Round round, int clients,
                                 Duration measured, Duration warmUp, ClosedLoad.Operation operation) {
        context.checkpoint(database.dataSource());
        CpuClock.Reading before = context.cpuClock().read();
        ClosedLoad.Result result = ClosedLoad.run(name + "-" + round.tag(), clients,
                context.scaled(round.isWarmUp() ? warmUp : measured), operation);
        return new Run(result, CpuCost.between(before, context.cpuClock().read(), result.operations()));
    }

    /**
     * A side that loads something again and again from one client, checking every result against
     * {@code expected}; its value is the mean time of one load, in milliseconds.
     */
    public static <T> Side timedLoads(BenchContext context, TestDatabase database, String label, Duration measured,
                                      Duration warmUp, T expected, Supplier<T> load) {
        return new Side(label, round -> Measurement.meanMillis(closedLoad(context, database, "load", round, 1,
                measured, warmUp, (client, index) -> {
                    T loaded = load.get();
                    if (!loaded.equals(expected)) {
                        throw new IllegalStateException(label + " loaded " + loaded + ", expected " + expected);
                    }
                })));
    }

    /** The figures of each side, in the order of {@code sides}; warm-ups are not among them. */
    public static List<Figures> run(BenchContext context, String name, Metric metric, List<Side> sides)
            throws Exception {
        int n = sides.size();
        for (Side side : sides) {
            context.progress("  %s: warming up %s", name, side.label());
            side.measure().measure(Round.WARM_UP);
        }
        List<List<Measurement>> measured = new ArrayList<>();
        sides.forEach(side -> measured.add(new ArrayList<>()));
        for (int r = 1; r <= context.rounds(); r++) {
            StringBuilder line = new StringBuilder();
            for (int k = 0; k < n; k++) {
                int s = (k + r - 1) % n;
                Measurement m = sides.get(s).measure().measure(new Round(r));
                measured.get(s).add(m);
                line.append(k == 0 ? "" : " | ").append(sides.get(s).label()).append(' ')
                        .append(Format.value(m.value(), metric)).append(Format.cpu(m.cpu()));
            }
            context.progress("  %s round %d/%d: %s", name, r, context.rounds(), line);
        }
        List<Figures> figures = new ArrayList<>(n);
        for (int s = 0; s < n; s++) {
            List<Measurement> ms = measured.get(s);
            LatencySample all = ms.getFirst().latencies()
                    .merge(ms.stream().skip(1).map(Measurement::latencies).toArray(LatencySample[]::new));
            figures.add(new Figures(sides.get(s).label(), ms.stream().map(Measurement::value).toList(), all,
                    ms.stream().map(Measurement::cpu).toList()));
        }
        return figures;
    }
}
