package dev.cqrs.reliability.faults;

import dev.cqrs.audit.AuditReport;
import dev.cqrs.reliability.audit.AuditMain;
import dev.cqrs.todo.service.ServiceConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * {@code ./cqrs faults}: the fault suite of issue 13. It deploys the to-do service as production would run it
 * ({@link Deployment}: two api processes, two relays, two projectors, a three-node Kafka cluster, a PostgreSQL
 * primary with a synchronous standby), puts a steady load of commands on it ({@link CommandLoad}) and a probe
 * that measures whether the pipeline moves ({@link PipelineProbe}), then injects the nine kinds of fault
 * ({@link FaultKind}) at random moments, each several times, waiting after each until the pipeline moves again
 * on every partition. At the end it lets the system settle, audits store, topic and read model, accounts for
 * every acknowledged command and every event a failover lost ({@link Accounting}), and reports: per kind,
 * what happened and what an operator saw, and a timeline plot. Exit code 0 when nothing beyond fault 8's named
 * loss differs and every fault was recovered from, 1 otherwise, 2 on bad usage.
 */
public final class FaultSuite {

    /** How long the suite waits for the pipeline to move again after a fault before it calls it not recovered. */
    static final Duration RECOVERY_BOUND = Duration.ofMinutes(3);

    /** A line for people, with the time of day. */
    @FunctionalInterface
    interface Say {
        void line(String text);
    }

    /**
     * What a run does.
     *
     * @param perKind  injections per fault kind
     * @param clients  load clients
     * @param thinkMillis a client's pause between two commands: from this to twice this (ms)
     * @param seed     the seed of the plan, the targets, the durations and the load
     * @param kinds    the fault kinds to inject ({@code --only})
     * @param keepData keep the servers' data after a clean run (it is always kept after one with findings)
     */
    record Options(int perKind, int clients, int thinkMillis, long seed, Set<FaultKind> kinds, boolean keepData) {

        /** A client's pause between commands: from this to twice this (ms), so that the pipeline keeps up on 2 cores. */
        static final int DEFAULT_THINK_MILLIS = 150;

        static final String USAGE = """
                usage: ./cqrs faults [--only KINDS] [--faults-per-kind N] [--clients N] [--think-ms MS] [--seed S] [--keep-data]

                  --only KINDS          fault kinds to inject, by number or name, comma-separated (default: all nine)
                  --faults-per-kind N   injections per kind (default 5)
                  --clients N           load clients, at least 12 for the issue's runs (default 12)
                  --think-ms MS         a client's pause between commands, MS to 2*MS (default 150: the load the
                                        projection keeps up with on 2 shared cores; 0 for as fast as it goes)
                  --seed S              replays a run's plan: kinds, order, targets, durations, load (default: a new one)
                  --keep-data           keep PostgreSQL's and Kafka's data after a run without findings

                fault kinds:
                """ + Stream.of(FaultKind.values()).map(k -> String.format("  %d %-18s %s%n", k.number, k.label(), k.how))
                .collect(Collectors.joining());

        static Options parse(String[] args) {
            int perKind = 5;
            int clients = 12;
            int think = DEFAULT_THINK_MILLIS;
            long seed = System.nanoTime() % 100_000_000_000_000L;
            Set<FaultKind> kinds = EnumSet.allOf(FaultKind.class);
            boolean keep = false;
            for (int i = 0; i < args.length; i++) {
                String arg = args[i];
                switch (arg) {
                    case "--only" -> kinds = FaultKind.parse(value(args, ++i, arg));
                    case "--faults-per-kind" -> perKind = number(value(args, ++i, arg), arg, 1, 100);
                    case "--clients" -> clients = number(value(args, ++i, arg), arg, 1, 200);
                    case "--think-ms" -> think = number(value(args, ++i, arg), arg, 0, 10_000);
                    case "--seed" -> {
                        String text = value(args, ++i, arg);
                        try {
                            seed = Long.parseLong(text);
                        } catch (NumberFormatException e) {
                            throw new IllegalArgumentException("--seed '" + text + "': must be a whole number");
                        }
                    }
                    case "--keep-data" -> keep = true;
                    default -> throw new IllegalArgumentException("unknown argument '" + arg + "'");
                }
            }
            return new Options(perKind, clients, think, seed, kinds, keep);
        }

        private static String value(String[] args, int i, String option) {
            if (i >= args.length) {
                throw new IllegalArgumentException(option + " needs a value");
            }
            return args[i];
        }

        private static int number(String text, String option, int min, int max) {
            try {
                int n = Integer.parseInt(text);
                if (n >= min && n <= max) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // falls through
            }
            throw new IllegalArgumentException(option + " '" + text + "': must be a whole number from " + min + " to " + max);
        }
    }

    private final Options options;
    private final Say say = FaultSuite::say;

    private FaultSuite(Options options) {
        this.options = options;
    }

    public static void main(String[] args) throws Exception {
        if (List.of(args).contains("--help") || List.of(args).contains("-h") || List.of(args).contains("help")) {
            System.out.print(Options.USAGE);
            return;
        }
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("cqrs faults: " + e.getMessage() + "; see ./cqrs faults --help");
            System.exit(2);
            return;
        }
        boolean clean = new FaultSuite(options).run();
        System.exit(clean ? 0 : 1);
    }

    private boolean run() throws Exception {
        long startMillis = System.currentTimeMillis();
        Path dir = Deployment.createDirectory(Path.of(System.getProperty("cqrs.home", "."), ".cqrs", "faults",
                LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH-mm-ss"))).toAbsolutePath());
        List<FaultPlan.Planned> plan = FaultPlan.of(options.kinds(), options.perKind(), options.seed());
        say("fault suite, seed " + options.seed() + ": " + plan.size() + " injections of kinds "
                + options.kinds().stream().map(k -> Integer.toString(k.number)).collect(Collectors.joining(",")) + "; data and logs in " + dir);
        Deployment deployment = Deployment.start(dir);
        Thread cleanup = new Thread(deployment::close, "cqrs-faults-shutdown");
        Runtime.getRuntime().addShutdownHook(cleanup);
        boolean clean = false;
        try {
            say("servers up (Kafka nodes " + deployment.kafka.bootstrapServers() + ", PostgreSQL " + deployment.postgres + ");"
                    + " waiting for api-1, api-2, relay-1, relay-2, projector-1, projector-2");
            OperatorView operator = new OperatorView(deployment.processes());
            awaitServing(deployment, operator);
            CommandLedger ledger = new CommandLedger(startMillis);
            List<GraphQLClient> apis = deployment.apis.stream().map(a -> new GraphQLClient(a.url().resolve("/graphql"))).toList();
            CommandSender sender = new CommandSender(apis, deployment.apis.stream().map(ServiceProcess::name).toList(), ledger);
            PipelineProbe probe = PipelineProbe.create(sender, Deployment.PARTITIONS);
            Timeline timeline = new Timeline(startMillis);
            List<Injection> injections = new ArrayList<>();
            Duration took;
            AuditReport audit;
            EndState end;
            try (Observer observer = new Observer(deployment.directJdbcUrl(), deployment.postgres.user(), deployment.postgres.password(),
                    Deployment.STORE_SCHEMA, Deployment.READ_SCHEMA + ".todos", ledger, probe, operator, timeline, startMillis)) {
                observer.start();
                CommandLoad load = new CommandLoad(sender, options.clients(), options.thinkMillis(), options.seed());
                load.start();
                probe.start();
                long loadStarted = System.currentTimeMillis();
                await(() -> probe.movingAgainAfter(loadStarted).isPresent(), RECOVERY_BOUND,
                        "the probe's writes to reach the read model on every partition");
                say("service up; " + options.clients() + " clients and the probe write; injecting " + plan.size() + " faults");

                Injector injector = new Injector(deployment, operator, say);
                for (FaultPlan.Planned planned : plan) {
                    Thread.sleep(planned.pauseBeforeMillis());
                    Injection injection = injector.inject(planned.ordinal(), planned.kind(), planned.variant(), new Random(planned.seed()));
                    injections.add(injection);
                    long deadline = Math.max(injection.healedMillis, injection.startMillis) + RECOVERY_BOUND.toMillis();
                    while (System.currentTimeMillis() < deadline && probe.movingAgainAfter(injection.startMillis).isEmpty()) {
                        Thread.sleep(200);
                    }
                    probe.movingAgainAfter(injection.startMillis).ifPresent(at -> injection.recoveredMillis = at);
                    injector.restore(injection);
                    say(String.format("%d/%d %s: %s; %s (%,d commands acknowledged so far)", injection.ordinal, plan.size(),
                            injection.describe(), "healed after " + SuiteReport.seconds(injection.healedMillis - injection.startMillis),
                            injection.recoveryMillis().isPresent() ? "moving again after " + SuiteReport.seconds(injection.recoveryMillis().getAsLong())
                                    : "NOT moving again within " + RECOVERY_BOUND.toMinutes() + " min",
                            ledger.total(CommandLedger.Outcome.ACKNOWLEDGED)));
                }
                Thread.sleep(5_000);
                say("load stopping; letting the relays and projectors catch up");
                load.stop();
                injector.everythingRunning();
                settle(probe, operator);
                probe.stop();
                await(probe::allShown, Duration.ofMinutes(2), "the probe's last writes to show in the read model");
                Thread.sleep(2_000);
                operator.readLogs();
                took = Duration.ofMillis(System.currentTimeMillis() - startMillis);
            }
            say("auditing store, topic and read model; accounting for " + ledger.total(CommandLedger.Outcome.ACKNOWLEDGED)
                    + " acknowledged commands");
            ServiceConfig config = deployment.auditConfig();
            audit = AuditMain.audit(config, Duration.ZERO);
            int generation = activeGeneration(deployment);
            end = EndState.read(config, "cqrs-todo_list-g" + generation, "todo_list_g" + generation + ".cqrs_positions");
            Accounting accounting = Accounting.of(end, ledger.acknowledgedCommands(), injections, operator.logLines());
            SuiteReport report = new SuiteReport(options, startMillis, injections, ledger, operator, audit, accounting, took,
                    options.clients());
            timeline.writeCsv(dir.resolve("timeline.csv"));
            timeline.writeSvg(dir.resolve("timeline.svg"), injections.stream().map(i -> new Timeline.Mark(i.kind.number,
                    "#" + i.ordinal + " " + i.kind.heading() + ": " + i.variant, i.bandFromMillis(), Math.max(i.healedMillis, i.startMillis),
                    i.recoveredMillis)).toList(), "./cqrs faults, seed " + options.seed() + ": " + injections.size() + " faults, "
                    + String.format("%,d", ledger.total(CommandLedger.Outcome.ACKNOWLEDGED)) + " commands acknowledged");
            String text = render(report, dir);
            System.out.print(text);
            Files.writeString(dir.resolve("report.md"), text);
            clean = report.clean();
            say("report, timeline.svg and timeline.csv in " + dir);
            return clean;
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(cleanup);
            } catch (IllegalStateException shuttingDown) {
                // the hook closes it
            }
            deployment.close();
            if (clean && !options.keepData()) {
                for (String data : List.of("kafka", "postgres", "streams-1", "streams-2")) {
                    deleteRecursively(dir.resolve(data));
                }
            }
        }
    }

    private String render(SuiteReport report, Path dir) {
        String n = System.lineSeparator();
        return n + "# ./cqrs faults" + n + n + "Replay: `" + report.command() + "`" + n + n
                + "## Per fault kind (commands counted from injection until the pipeline moved again)" + n + n
                + "```" + n + report.kindTable() + "```" + n + n
                + "## What an operator saw" + n + n + "```" + n + report.operatorTable() + "```" + n + n
                + "## Injections" + n + n + "```" + n + report.injectionList() + "```" + n + n
                + "## Commands, audit, accounting" + n + n + "```" + n + report.totals() + "```" + n + n
                + (report.details().isEmpty() ? "" : "## Details" + n + n + "```" + n + report.details() + "```" + n + n)
                + "Timeline: " + dir.resolve("timeline.svg") + n + n + report.verdict() + n;
    }

    /** Every api answers GraphQL, a relay leads, both projectors are ready. */
    private void awaitServing(Deployment deployment, OperatorView operator) throws InterruptedException {
        for (ServiceProcess api : deployment.apis) {
            GraphQLClient client = new GraphQLClient(api.url().resolve("/graphql"));
            await(() -> client.send("{ apiVersion }", new HashMap<>()).data().isPresent(), Duration.ofMinutes(4),
                    api.name() + " to answer GraphQL (see " + api.log() + ")");
        }
        await(() -> {
            try {
                operator.lookAtMetrics();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return operator.leader().isPresent();
        }, Duration.ofMinutes(2), "a relay to lead (see relay-1.log, relay-2.log)");
    }

    /** Until the probe's writes all show and the leading relay has nothing left to publish. */
    private void settle(PipelineProbe probe, OperatorView operator) throws InterruptedException {
        await(() -> {
            boolean published = operator.metrics().isEmpty() || operator.metrics().getLast().relayLag().orElse(1) == 0;
            return probe.allShown() && published;
        }, Duration.ofMinutes(5), "the relays and projectors to catch up (every probe write in the read model, relay lag 0)");
    }

    private static int activeGeneration(Deployment deployment) throws Exception {
        try (Connection c = DriverManager.getConnection(deployment.directJdbcUrl(), deployment.postgres.user(), deployment.postgres.password());
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT generation FROM cqrs_projections.generations WHERE projection = 'todo_list'"
                     + " AND state = 'ACTIVE'")) {
            return rs.next() ? rs.getInt(1) : 1;
        }
    }

    private static void await(BooleanSupplier condition, Duration timeout, String what) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("gave up after " + timeout.toSeconds() + " s waiting for " + what);
            }
            Thread.sleep(250);
        }
    }

    private static void deleteRecursively(Path path) {
        if (!Files.exists(path)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(path)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            say("could not delete " + path + ": " + e.getMessage());
        }
    }

    static void say(String line) {
        System.out.println("[faults " + LocalDateTime.now().format(DateTimeFormatter.ofPattern("HH:mm:ss")) + "] " + line);
    }
}
