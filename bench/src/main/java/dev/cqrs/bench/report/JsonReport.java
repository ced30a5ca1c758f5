package dev.cqrs.bench.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cqrs.bench.measure.LatencySample;
import dev.cqrs.bench.scenario.Comparison;
import dev.cqrs.bench.scenario.Figures;
import dev.cqrs.bench.scenario.Target;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Every figure of a run as JSON, for tools and for comparing runs: per comparison each side's
 * value per round, median, and latency percentiles in milliseconds, the ratio, the target and the
 * verdict (a ratio target as {@code targetRatio}, a limit on our figure as {@code targetOursBelow}); and the machine, the server's settings and the options.
 */
public final class JsonReport {

    /** The latency percentiles written for each side. */
    static final double[] PERCENTILES = {50, 90, 95, 99, 99.9, 99.99};

    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private JsonReport() {
    }

    public static void write(BenchRun run, Path file) throws IOException {
        MAPPER.writeValue(file.toFile(), of(run));
    }

    static ObjectNode of(BenchRun run) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("command", run.command());
        root.put("startedAt", run.startedAt().toString());
        root.put("tookSeconds", run.took().toMillis() / 1000.0);
        ObjectNode machine = root.putObject("machine");
        machine.put("cores", run.machine().cores());
        machine.put("memoryBytes", run.machine().memoryBytes());
        machine.put("cpu", run.machine().cpu());
        machine.put("os", run.machine().os());
        machine.put("jdk", run.machine().jdk());
        ObjectNode server = root.putObject("server");
        server.put("description", run.server().description());
        run.server().settings().entrySet().stream().sorted(java.util.Map.Entry.comparingByKey())
                .forEach(setting -> server.put(setting.getKey(), setting.getValue()));
        ObjectNode options = root.putObject("options");
        options.put("scale", run.scale());
        options.put("rounds", run.rounds());
        options.put("clients", run.clients());
        ArrayNode scenarios = root.putArray("scenarios");
        for (BenchRun.ScenarioOutcome outcome : run.scenarios()) {
            ObjectNode scenario = scenarios.addObject();
            scenario.put("name", outcome.name());
            scenario.put("description", outcome.description());
            outcome.failure().ifPresent(reason -> scenario.put("failure", reason));
            ArrayNode comparisons = scenario.putArray("comparisons");
            outcome.comparisons().forEach(c -> comparison(comparisons.addObject(), c));
        }
        return root;
    }

    private static void comparison(ObjectNode node, Comparison c) {
        node.put("name", c.name());
        node.put("description", c.description());
        node.put("unit", c.metric().unit());
        node.put("higherIsBetter", c.metric().higherIsBetter());
        figures(node.putObject("ours"), c.ours());
        figures(node.putObject("baseline"), c.baseline());
        node.put("ratio", c.ratio());
        node.putNull("targetRatio");
        c.target().ifPresent(t -> {
            switch (t) {
                case Target.MinimumRatio ratio -> node.put("targetRatio", ratio.minimumRatio());
                case Target.OursBelow below -> node.put("targetOursBelow", below.limit());
            }
        });
        node.put("verdict", c.verdict().name());
    }

    private static void figures(ObjectNode node, Figures f) {
        node.put("label", f.label());
        node.put("median", f.median());
        ArrayNode rounds = node.putArray("rounds");
        f.rounds().forEach(rounds::add);
        LatencySample l = f.latencies();
        ObjectNode cpu = node.putObject("cpuMicrosPerOperation");
        cpu.put("client", f.medianCpu().clientMicros());
        cpu.put("server", f.medianCpu().serverMicros());
        if (l.count() == 0) {
            return; // no operation of its own to time (e.g. a relay draining a backlog)
        }
        ObjectNode latency = node.putObject("latencyMillis");
        latency.put("count", l.count());
        latency.put("mean", l.meanNanos() / 1e6);
        for (double p : PERCENTILES) {
            latency.put("p" + (p == Math.rint(p) ? String.valueOf((long) p) : String.valueOf(p)),
                    l.percentileNanos(p) / 1e6);
        }
        latency.put("max", l.maxNanos() / 1e6);
    }
}
