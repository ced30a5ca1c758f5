package dev.cqrs.bench.report;

import dev.cqrs.bench.measure.LatencySample;
import dev.cqrs.bench.scenario.Comparison;
import dev.cqrs.bench.scenario.Figures;
import dev.cqrs.bench.scenario.Format;
import dev.cqrs.bench.scenario.Verdict;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The report people read: per scenario, our figures, the baseline's and a {@code ratio} line, then
 * a summary with one line per comparison.
 */
public final class TextReport {

    private TextReport() {
    }

    public static String of(BenchRun run) {
        StringBuilder out = new StringBuilder();
        out.append("cqrs bench: ").append(run.command()).append('\n')
                .append("date:    ").append(run.startedAt()).append('\n')
                .append("machine: ").append(run.machine().describe()).append('\n')
                .append("server:  ").append(run.server().describe()).append('\n')
                .append(String.format(Locale.ROOT, "run:     scale %s, %d rounds (medians quoted), %d clients, took %d s%n",
                        run.scale(), run.rounds(), run.clients(), run.took().toSeconds()))
                .append("ratio:   ours relative to the baseline as a speed (ours/baseline for a throughput,"
                        + " baseline/ours for a time); above 1 we are faster\n");
        for (BenchRun.ScenarioOutcome scenario : run.scenarios()) {
            out.append('\n').append("== ").append(scenario.name()).append(": ").append(scenario.description()).append('\n');
            scenario.failure().ifPresent(reason -> out.append("   FAILED: ").append(reason).append('\n'));
            for (Comparison comparison : scenario.comparisons()) {
                comparisonBlock(out, comparison);
            }
        }
        out.append("\n== summary\n");
        for (BenchRun.ScenarioOutcome scenario : run.scenarios()) {
            scenario.failure().ifPresent(reason -> out.append(String.format(Locale.ROOT, "%-20s FAILED: %s%n",
                    scenario.name(), reason)));
            for (Comparison comparison : scenario.comparisons()) {
                out.append(summaryLine(comparison)).append('\n');
            }
        }
        return out.toString();
    }

    /** e.g. {@code append  ours 5,123 commands/s  raw JDBC 6,010 commands/s  ratio 0.85 (target >= 0.70) PASS} */
    public static String summaryLine(Comparison c) {
        return String.format(Locale.ROOT, "%-20s ours %s  %s %s  ratio %s %s", c.name(),
                Format.value(c.ours().median(), c.metric()), c.baseline().label(),
                Format.value(c.baseline().median(), c.metric()), Format.ratio(c.ratio()), verdict(c));
    }

    private static void comparisonBlock(StringBuilder out, Comparison c) {
        out.append("-- ").append(c.name()).append(": ").append(c.description()).append('\n');
        int width = Math.max(c.ours().label().length(), c.baseline().label().length());
        figuresLine(out, c.ours(), c, width);
        figuresLine(out, c.baseline(), c, width);
        out.append("   ratio ").append(Format.ratio(c.ratio())).append(' ').append(verdict(c)).append('\n');
    }

    private static void figuresLine(StringBuilder out, Figures f, Comparison c, int width) {
        LatencySample l = f.latencies();
        out.append(String.format(Locale.ROOT, "   %-" + width + "s %s  (rounds %s)%n",
                f.label(), Format.value(f.median(), c.metric()),
                f.rounds().stream().map(Format::number).collect(Collectors.joining(" "))));
        if (l.count() == 0) {
            // A throughput with no operation of its own to time (e.g. a relay draining a backlog).
            String cpu = Format.cpu(f.medianCpu());
            if (!cpu.isEmpty()) {
                out.append(String.format(Locale.ROOT, "   %-" + width + "s%s%n", "", cpu));
            }
            return;
        }
        out.append(String.format(Locale.ROOT, "   %-" + width + "s latency p50 %s  p95 %s  p99 %s  p99.9 %s  max %s%s%n", "",
                Format.millis(l.percentileNanos(50)), Format.millis(l.percentileNanos(95)),
                Format.millis(l.percentileNanos(99)), Format.millis(l.percentileNanos(99.9)), Format.millis(l.maxNanos()),
                Format.cpu(f.medianCpu())));
    }

    private static String verdict(Comparison c) {
        return c.target()
                .map(t -> "(target " + t.describe(c.metric()) + ") " + c.verdict())
                .orElse("(no target)");
    }

    /** True when every comparison with a target met it. */
    public static boolean allTargetsMet(BenchRun run) {
        return run.scenarios().stream().flatMap(s -> s.comparisons().stream())
                .noneMatch(c -> c.verdict() == Verdict.FAIL);
    }
}
