package dev.cqrs.bench.report;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cqrs.bench.measure.CpuCost;
import dev.cqrs.bench.measure.LatencySample;
import dev.cqrs.bench.scenario.Comparison;
import dev.cqrs.bench.scenario.Figures;
import dev.cqrs.bench.scenario.Metric;
import dev.cqrs.bench.scenario.Target;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ReportsTest {

    private final Comparison append = LatencyPlotTest.comparison("ours", "raw JDBC");
    private final BenchRun run = new BenchRun("./cqrs bench --scale 0.1", Instant.parse("2026-11-27T12:00:00Z"),
            Duration.ofSeconds(42), new Machine(2, 24L << 30, "a CPU", "Linux", "a JDK"),
            new ServerSettings("embedded", Map.of("server_version", "17.11", "fsync", "on", "synchronous_commit", "on")),
            0.1, 3, 8, List.of(
                    new BenchRun.ScenarioOutcome("append", "one-event commands", List.of(append), Optional.empty()),
                    new BenchRun.ScenarioOutcome("axon", "the peer", List.of(), Optional.of("it broke")),
                    new BenchRun.ScenarioOutcome("relay", "the relay", List.of(backlog(), latency(25)), Optional.empty())));

    /** A throughput with no per-operation latencies, as the relay's backlog. */
    static Comparison backlog() {
        return new Comparison("relay", "a backlog", Metric.throughput("events/s"),
                new Figures("ours", List.of(60_000.0), LatencySample.empty(), List.of(new CpuCost(12, 3))),
                new Figures("raw", List.of(100_000.0), LatencySample.empty(), List.of(new CpuCost(8, 0))),
                Optional.of(Target.atLeast(0.6)));
    }

    /** A p99 with a limit on ours: 1..100 ms on our side. */
    static Comparison latency(double oursP99) {
        long[] nanos = new long[100];
        for (int i = 0; i < nanos.length; i++) {
            nanos[i] = (i + 1) * 1_000_000L;
        }
        return new Comparison("relay-latency", "at 1,000 events/s", Metric.time("ms (p99)"),
                new Figures("ours", List.of(oursP99), LatencySample.of(nanos), List.of()),
                new Figures("raw", List.of(20.0), LatencySample.of(nanos), List.of()),
                Optional.of(Target.oursBelow(20)));
    }

    @Test
    void theRatioOfAThroughputIsOursOverTheBaselineFromTheMedians() {
        // medians: ours 1,000, baseline (1,200 + 1,300) / 2 = 1,250
        assertThat(append.ratio()).isEqualTo(0.8);
        assertThat(append.verdict()).hasToString("PASS");
    }

    @Test
    void theTextReportHasFiguresBaselineAndARatioLinePerComparisonAndASummary() {
        String text = TextReport.of(run);

        assertThat(text).contains("PostgreSQL 17.11, fsync=on, synchronous_commit=on")
                .contains("   ours     1,000 commands/s  (rounds 900 1,000 1,100)")
                .contains("   raw JDBC 1,250 commands/s  (rounds 1,200 1,300)")
                .contains("   ratio 0.80 (target >= 0.70) PASS")
                .contains("append               ours 1,000 commands/s  raw JDBC 1,250 commands/s  ratio 0.80 (target >= 0.70) PASS")
                .contains("FAILED: it broke");
        assertThat(TextReport.allTargetsMet(run)).isFalse(); // the relay's latency
    }

    @Test
    void aLimitOnOurFigureDecidesTheVerdictWhateverTheRatio() {
        assertThat(latency(19.9).verdict()).hasToString("PASS");
        assertThat(latency(25).verdict()).hasToString("FAIL");
        assertThat(latency(25).ratio()).isEqualTo(0.8);
        assertThat(TextReport.summaryLine(latency(25))).endsWith("ratio 0.80 (target ours < 20.0 ms (p99)) FAIL");
    }

    @Test
    void aComparisonWithoutLatenciesPrintsItsFiguresAndCpuButNoPercentiles() {
        String text = TextReport.of(run);

        assertThat(text).contains("   ours 60,000 events/s  (rounds 60,000)\n        [CPU/op: client 12.0 µs, server 3.00 µs]\n")
                .contains("latency p50 50.0 ms  p95 95.0 ms  p99 99.0 ms");
        JsonNode json = JsonReport.of(run).at("/scenarios/2/comparisons");
        assertThat(json.at("/0/ours/latencyMillis").isMissingNode()).isTrue();
        assertThat(json.at("/0/ours/cpuMicrosPerOperation/client").asDouble()).isEqualTo(12);
        assertThat(json.at("/1/targetOursBelow").asDouble()).isEqualTo(20);
        assertThat(json.at("/1/targetRatio").isNull()).isTrue();
        assertThat(json.at("/1/ours/latencyMillis/p95").asDouble()).isEqualTo(95);
    }

    @Test
    void theJsonHasEveryFigureOfEverySide() {
        JsonNode json = JsonReport.of(run);

        JsonNode comparison = json.at("/scenarios/0/comparisons/0");
        assertThat(comparison.at("/ours/median").asDouble()).isEqualTo(1_000);
        assertThat(comparison.at("/ours/rounds").size()).isEqualTo(3);
        assertThat(comparison.at("/baseline/latencyMillis/p99").asDouble()).isPositive();
        assertThat(comparison.at("/ratio").asDouble()).isEqualTo(0.8);
        assertThat(comparison.at("/targetRatio").asDouble()).isEqualTo(0.7);
        assertThat(comparison.at("/verdict").asText()).isEqualTo("PASS");
        assertThat(json.at("/server/fsync").asText()).isEqualTo("on");
        assertThat(json.at("/scenarios/1/failure").asText()).isEqualTo("it broke");
    }
}
