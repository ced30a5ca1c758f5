package dev.cqrs.reliability.faults;

import dev.cqrs.audit.AuditReport;
import dev.cqrs.embedded.kafka.KafkaBrokerProcess;
import dev.cqrs.embedded.postgres.PostgresOptions;
import dev.cqrs.embedded.postgres.PostgresServer;
import dev.cqrs.embedded.registry.LocalSchemaRegistry;
import dev.cqrs.reliability.audit.AuditMain;
import dev.cqrs.todo.service.ServiceConfig;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * {@code ./cqrs faults}: the fault-injection suite. It runs the to-do service as three processes (api,
 * relay, projector) on a durable PostgreSQL, a Kafka broker of its own process and a schema registry, puts
 * a steady load of commands on the api, and meanwhile, at random moments, kills the relay, the projector
 * and the broker with SIGKILL (and starts them again), terminates every PostgreSQL backend, and crashes
 * and restarts PostgreSQL, each several times. Then it lets the system settle and audits store, topic and
 * read model. It prints a table and exits 1 if the audit found any difference.
 */
public final class FaultSuite {

    enum Fault { KILL_RELAY, KILL_PROJECTOR, KILL_BROKER, TERMINATE_BACKENDS, RESTART_POSTGRES }

    private final int perKind;
    private final int clients;
    private final long seed;
    private final Random random;
    private final Map<Fault, Integer> injected = new TreeMap<>();

    private FaultSuite(int perKind, int clients, long seed) {
        this.perKind = perKind;
        this.clients = clients;
        this.seed = seed;
        this.random = new Random(seed);
    }

    public static void main(String[] args) throws Exception {
        int perKind = 5;
        int clients = 12;
        long seed = System.nanoTime();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--faults-per-kind" -> perKind = Integer.parseInt(args[++i]);
                case "--clients" -> clients = Integer.parseInt(args[++i]);
                case "--seed" -> seed = Long.parseLong(args[++i]);
                case "help", "--help", "-h" -> {
                    System.out.println("usage: ./cqrs faults [--faults-per-kind N (5)] [--clients N (12)] [--seed S]");
                    return;
                }
                default -> {
                    System.err.println("unknown argument '" + args[i] + "'; see ./cqrs faults --help");
                    System.exit(2);
                }
            }
        }
        boolean clean = new FaultSuite(perKind, clients, seed).run();
        System.exit(clean ? 0 : 1);
    }

    private boolean run() throws Exception {
        long started = System.nanoTime();
        Path dir = Path.of(System.getProperty("cqrs.home", "."), ".cqrs", "faults",
                LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH-mm-ss")));
        Files.createDirectories(dir);
        say("fault suite, seed " + seed + "; data and logs in " + dir.toAbsolutePath());
        PostgresServer postgres = PostgresServer.start(PostgresOptions.temporaryDurable().withDataDirectory(dir.resolve("postgres")));
        KafkaBrokerProcess broker = KafkaBrokerProcess.start(dir.resolve("kafka"));
        LocalSchemaRegistry registry = LocalSchemaRegistry.start(broker.bootstrapServers(), 0, "_schemas");
        int apiPort = freePort();
        Map<String, String> env = new HashMap<>();
        env.put("CQRS_DB_URL", postgres.jdbcUrl("postgres"));
        env.put("CQRS_DB_USER", postgres.user());
        env.put("CQRS_DB_PASSWORD", postgres.password());
        env.put("CQRS_KAFKA_BOOTSTRAP", broker.bootstrapServers());
        env.put("CQRS_SCHEMA_REGISTRY_URL", registry.url());
        env.put("CQRS_HTTP_HOST", "127.0.0.1");
        env.put("CQRS_RELAY_STANDBY_RETRY_MS", "200");
        env.put("CQRS_RELAY_ERROR_BACKOFF_MS", "500");
        Map<String, String> apiEnv = new HashMap<>(env);
        apiEnv.put("CQRS_HTTP_PORT", Integer.toString(apiPort));
        ServiceProcess api = new ServiceProcess("api", apiEnv, dir.resolve("api.log"));
        Map<String, String> relayEnv = new HashMap<>(env);
        relayEnv.put("CQRS_HTTP_PORT", "0");
        ServiceProcess relay = new ServiceProcess("relay", relayEnv, dir.resolve("relay.log"));
        Map<String, String> projectorEnv = new HashMap<>(env);
        projectorEnv.put("CQRS_HTTP_PORT", "0");
        projectorEnv.put("CQRS_PROJECTOR_STATE_DIR", dir.resolve("streams").toString());
        ServiceProcess projector = new ServiceProcess("projector", projectorEnv, dir.resolve("projector.log"));
        List<ServiceProcess> processes = List.of(api, relay, projector);
        CommandLoad load = null;
        try {
            processes.forEach(ServiceProcess::start);
            GraphQLClient client = new GraphQLClient(URI.create("http://127.0.0.1:" + apiPort + "/graphql"));
            awaitApi(client, Duration.ofMinutes(3));
            say("service up: api, relay and projector processes; starting " + clients + " clients");
            load = new CommandLoad(client, clients, seed);
            load.start();

            List<Fault> plan = new ArrayList<>();
            for (Fault fault : Fault.values()) {
                for (int i = 0; i < perKind; i++) {
                    plan.add(fault);
                }
            }
            Collections.shuffle(plan, random);
            for (Fault fault : plan) {
                Thread.sleep(4_000 + random.nextInt(8_000));
                inject(fault, postgres, broker, relay, projector);
                injected.merge(fault, 1, Integer::sum);
                say(String.format("fault %d of %d: %s (commands so far: %,d accepted, %,d retried after an outage)",
                        injected.values().stream().mapToInt(Integer::intValue).sum(), plan.size(), fault,
                        load.accepted.sum(), load.retried.sum()));
            }
            Thread.sleep(10_000);
            load.stop();
            for (ServiceProcess process : processes) {
                if (!process.isAlive()) {
                    say(process.role() + " process had died; starting it again");
                    process.start();
                }
            }
            say("load stopped; letting the relay and the projector catch up, then auditing");
            Map<String, String> auditEnv = new HashMap<>(env);
            auditEnv.put("CQRS_ROLES", "api");
            AuditReport report = AuditMain.audit(ServiceConfig.from(auditEnv), Duration.ofMinutes(4));
            print(load, report, Duration.ofNanos(System.nanoTime() - started));
            return report.isClean();
        } finally {
            if (load != null) {
                load.stop();
            }
            for (ServiceProcess process : processes) {
                process.stop();
            }
            registry.close();
            broker.stop();
            postgres.stop();
        }
    }

    private void inject(Fault fault, PostgresServer postgres, KafkaBrokerProcess broker, ServiceProcess relay,
                        ServiceProcess projector) throws Exception {
        switch (fault) {
            case KILL_RELAY -> {
                relay.kill();
                Thread.sleep(500 + random.nextInt(2_500));
                relay.start();
            }
            case KILL_PROJECTOR -> {
                projector.kill();
                Thread.sleep(500 + random.nextInt(2_500));
                projector.start();
            }
            case KILL_BROKER -> {
                broker.kill();
                Thread.sleep(1_000 + random.nextInt(4_000));
                broker.restart();
            }
            case TERMINATE_BACKENDS -> terminateBackends(postgres);
            case RESTART_POSTGRES -> {
                postgres.kill();
                Thread.sleep(500 + random.nextInt(2_500));
                postgres.restart();
            }
        }
    }

    private static void terminateBackends(PostgresServer postgres) throws Exception {
        try (Connection c = DriverManager.getConnection(postgres.jdbcUrl("postgres"), postgres.user(), postgres.password());
             Statement s = c.createStatement()) {
            s.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid()"
                    + " AND backend_type = 'client backend'");
        }
    }

    private static void awaitApi(GraphQLClient client, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (client.send("{ apiVersion }", new HashMap<>()).data().isPresent()) {
                return;
            }
            Thread.sleep(500);
        }
        throw new IllegalStateException("the api process did not answer within " + timeout + " (see api.log)");
    }

    private void print(CommandLoad load, AuditReport report, Duration took) {
        StringBuilder table = new StringBuilder();
        table.append(String.format("%n%-44s %12s%n", "fault suite", "count"));
        for (Fault fault : Fault.values()) {
            table.append(String.format("%-44s %,12d%n", "faults: " + fault.name().toLowerCase().replace('_', ' '), injected.getOrDefault(fault, 0)));
        }
        table.append(String.format("%-44s %,12d%n", "commands sent", load.commands()));
        table.append(String.format("%-44s %,12d%n", "commands accepted", load.accepted.sum()));
        table.append(String.format("%-44s %,12d%n", "  of which answered again by idempotency key", load.replayed.sum()));
        table.append(String.format("%-44s %,12d%n", "sends repeated while the service was down", load.retried.sum()));
        load.rejections().forEach((code, count) -> table.append(String.format("%-44s %,12d%n", "commands rejected: " + code, count)));
        table.append(String.format("%-44s %,12d%n", "commands given up (unavailable for 3 min)", load.gaveUp.sum()));
        table.append(report.table());
        table.append(String.format("%-44s %12s%n", "duration", took.toMinutesPart() + " min " + took.toSecondsPart() + " s"));
        table.append(report.isClean() ? "no difference: nothing lost, duplicated, skipped or reordered\n"
                : "DIFFERENCES FOUND\n");
        System.out.print(table);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static void say(String line) {
        System.out.println("[faults " + LocalDateTime.now().format(DateTimeFormatter.ofPattern("HH:mm:ss")) + "] " + line);
    }
}
