package dev.cqrs.bench.report;

import dev.cqrs.bench.scenario.Comparison;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Everything one run measured, and where and how: what the reports are written from.
 *
 * @param command   the command line as typed, e.g. {@code ./cqrs bench --scale 0.1}
 * @param startedAt when the run started
 * @param took      how long it took, PostgreSQL's start included
 * @param machine   the machine
 * @param server    the PostgreSQL server and its settings
 * @param scale     the {@code --scale} of sizes and durations
 * @param rounds    rounds per comparison
 * @param clients   clients of the multi-client scenarios
 * @param scenarios what each scenario measured, in the order run
 */
public record BenchRun(String command, Instant startedAt, Duration took, Machine machine, ServerSettings server,
                       double scale, int rounds, int clients, List<ScenarioOutcome> scenarios) {

    public BenchRun {
        scenarios = List.copyOf(scenarios);
    }

    /**
     * One scenario's comparisons, or the reason it failed (a failed scenario does not stop the others).
     */
    public record ScenarioOutcome(String name, String description, List<Comparison> comparisons,
                                  Optional<String> failure) {
        public ScenarioOutcome {
            comparisons = List.copyOf(comparisons);
        }
    }
}
