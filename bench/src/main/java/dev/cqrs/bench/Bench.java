package dev.cqrs.bench;

import dev.cqrs.bench.measure.CpuClock;
import dev.cqrs.bench.report.BenchRun;
import dev.cqrs.bench.report.JsonReport;
import dev.cqrs.bench.report.LatencyPlot;
import dev.cqrs.bench.report.Machine;
import dev.cqrs.bench.report.ServerSettings;
import dev.cqrs.bench.report.TextReport;
import dev.cqrs.bench.scenario.BenchContext;
import dev.cqrs.bench.scenario.Comparison;
import dev.cqrs.bench.scenario.Scenario;
import dev.cqrs.embedded.postgres.PostgresOptions;
import dev.cqrs.embedded.postgres.PostgresServer;
import dev.cqrs.embedded.postgres.TestDatabase;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code ./cqrs bench}: starts a durable PostgreSQL (or uses {@code CQRS_DB_URL}), runs the chosen
 * scenarios, prints each one's figures beside its baseline's with the ratio and its target, and
 * writes {@code report.txt}, {@code results.json} and one SVG latency plot per comparison.
 *
 * <p>Exit status: 0 when every scenario ran (a missed target is a finding, printed as FAIL, not an
 * error), 1 when a scenario failed, 2 for a bad command line.
 */
public final class Bench {

    private Bench() {
    }

    public static void main(String[] args) throws Exception {
        PrintStream out = System.out;
        Path home = Path.of(System.getProperty("cqrs.home", ".")).toAbsolutePath().normalize();
        Optional<BenchOptions> parsed;
        try {
            parsed = BenchOptions.parse(List.of(args), home, LocalDateTime.now());
        } catch (BenchOptions.UsageException e) {
            System.err.println("cqrs bench: " + e.getMessage() + "\n\n" + BenchOptions.USAGE);
            System.exit(2);
            return;
        }
        if (parsed.isEmpty()) {
            out.print(BenchOptions.USAGE);
            return;
        }
        BenchOptions options = parsed.get();
        String command = System.getProperty("cqrs.command", "./cqrs bench") + (args.length == 0 ? "" : " " + String.join(" ", args));
        System.exit(run(options, command, out) ? 0 : 1);
    }

    /** Runs the bench; true when every scenario ran to the end. */
    static boolean run(BenchOptions options, String command, PrintStream out) throws Exception {
        Instant started = Instant.now();
        long startNanos = System.nanoTime();
        Files.createDirectories(options.out());
        PostgresServer server = server(out);
        TestDatabase probe = server.createDatabase("bench_settings");
        ServerSettings settings = ServerSettings.read(server.toString(), probe.dataSource());
        out.println(settings.describe());
        if (!settings.isDurable()) {
            out.println("WARNING: fsync or synchronous_commit is off on this server: commits do not wait for the disk,"
                    + " so these figures are not the durable ones that the targets are about");
        }
        List<BenchRun.ScenarioOutcome> outcomes = new ArrayList<>();
        try (BenchContext context = new BenchContext(server, CpuClock.of(postmaster(probe)), options.scale(),
                options.rounds(), options.clients(), options.events(), out)) {
            runScenarios(options, context, outcomes, out);
        }
        BenchRun run = new BenchRun(command, started, Duration.ofNanos(System.nanoTime() - startNanos),
                Machine.current(), settings, options.scale(), options.rounds(), options.clients(), outcomes);
        String report = TextReport.of(run);
        Files.writeString(options.out().resolve("report.txt"), report);
        JsonReport.write(run, options.out().resolve("results.json"));
        out.println();
        out.print(report);
        out.println();
        out.println("written: " + options.out().resolve("report.txt") + ", results.json and "
                + run.scenarios().stream().flatMap(s -> s.comparisons().stream())
                .filter(c -> c.ours().latencies().count() > 0 && c.baseline().latencies().count() > 0).count()
                + " SVG plots in " + options.out());
        return outcomes.stream().allMatch(o -> o.failure().isEmpty());
    }

    /** Runs each scenario; one that fails is recorded as failed and the next one runs. */
    private static void runScenarios(BenchOptions options, BenchContext context, List<BenchRun.ScenarioOutcome> outcomes,
                                     PrintStream out) throws IOException {
        for (Scenario scenario : options.scenarios()) {
            out.println();
            out.println("== " + scenario.name() + ": " + scenario.description());
            long scenarioStart = System.nanoTime();
            try {
                List<Comparison> comparisons = scenario.run(context);
                outcomes.add(new BenchRun.ScenarioOutcome(scenario.name(), scenario.description(), comparisons,
                        Optional.empty()));
                for (Comparison comparison : comparisons) {
                    out.println(TextReport.summaryLine(comparison));
                    if (comparison.ours().latencies().count() > 0 && comparison.baseline().latencies().count() > 0) {
                        LatencyPlot.write(comparison, options.out().resolve(comparison.name() + ".svg"));
                    }
                }
            } catch (Exception | AssertionError e) {
                e.printStackTrace(out);
                outcomes.add(new BenchRun.ScenarioOutcome(scenario.name(), scenario.description(), List.of(),
                        Optional.of(e.toString())));
            }
            out.printf("   (%s took %d s)%n", scenario.name(), Duration.ofNanos(System.nanoTime() - scenarioStart).toSeconds());
        }
    }

    /** The server's postmaster, when it runs on this machine: the parent of a backend. */
    private static Optional<ProcessHandle> postmaster(TestDatabase database) throws SQLException {
        try (Connection connection = database.dataSource().getConnection();
             Statement statement = connection.createStatement();
             ResultSet rs = statement.executeQuery("SELECT pg_backend_pid()")) {
            rs.next();
            return ProcessHandle.of(rs.getLong(1)).flatMap(ProcessHandle::parent)
                    .filter(p -> p.info().command().map(c -> c.endsWith("postgres")).orElse(false));
        }
    }

    /** The server of CQRS_DB_URL when set; else an embedded, durable PostgreSQL of the bench's own. */
    private static PostgresServer server(PrintStream out) {
        String url = System.getenv("CQRS_DB_URL");
        if (url != null && !url.isBlank()) {
            out.println("using the PostgreSQL server of CQRS_DB_URL: " + url);
            return PostgresServer.shared();
        }
        out.println("starting an embedded PostgreSQL (durable: fsync and synchronous_commit on) ...");
        return PostgresServer.start(PostgresOptions.temporaryDurable());
    }
}
