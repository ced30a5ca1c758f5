package dev.cqrs.bench.report;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cqrs.bench.scenario.Comparison;
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
                    new BenchRun.ScenarioOutcome("axon", "the peer", List.of(), Optional.of("it broke"))));

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
        assertThat(TextReport.allTargetsMet(run)).isTrue();
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
