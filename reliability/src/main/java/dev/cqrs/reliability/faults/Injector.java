package dev.cqrs.reliability.faults;

import dev.cqrs.embedded.kafka.KafkaClusterNode;
import dev.cqrs.embedded.network.FaultProxy;
import dev.cqrs.embedded.network.NetworkFault;
import dev.cqrs.embedded.postgres.PostgresServer;
import dev.cqrs.embedded.postgres.ReplicatedPostgres;
import dev.cqrs.embedded.postgres.ReplicationMode;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Random;

/**
 * Injects one fault of a kind into the {@link Deployment} and ends it ({@link #inject}), then, once the
 * suite has seen the pipeline recover, puts back what a fault took away for good ({@link #restore}: a new
 * standby after a failover, a fully replicated cluster after a node kill), so that the next fault meets a
 * whole deployment. Durations and targets come from the suite's seeded random, so a seed replays the plan.
 */
final class Injector {

    private final Deployment deployment;
    private final OperatorView operator;
    private final FaultSuite.Say say;

    Injector(Deployment deployment, OperatorView operator, FaultSuite.Say say) {
        this.deployment = deployment;
        this.operator = operator;
        this.say = say;
    }

    /**
     * Strikes, waits out the fault's duration and ends it; returns with the fault healed.
     *
     * @param random the injection's own random (durations, targets), so that one seed replays every injection
     */
    Injection inject(int ordinal, FaultKind kind, String variant, Random random) throws Exception {
        Injection injection = new Injection(ordinal, kind, variant);
        switch (kind) {
            case KILL -> {
                ServiceProcess target = switch (variant) {
                    case "relay leader" -> relayLeader(random);
                    case "projector" -> pick(deployment.projectors, random);
                    default -> pick(deployment.apis, random);
                };
                injection.target = target.name();
                long down = 500 + random.nextInt(2_500);
                injection.startMillis = now();
                target.kill();
                Thread.sleep(down);
                target.start();
                injection.healedMillis = now();
                injection.detail = "started again after " + down + " ms";
            }
            case PAUSE_RELAY -> pause(injection, relayLeader(random), Deployment.RELAY_DELIVERY_TIMEOUT.toMillis() + 1_000, 4_000, random);
            case PAUSE_PROJECTOR -> pause(injection, pick(deployment.projectors, random), Deployment.PROJECTOR_SESSION_TIMEOUT.toMillis() + 2_000, 6_000, random);
            case KILL_BROKER -> {
                int node = variant.equals("event partition leader") ? eventPartitionLeader()
                        : deployment.kafka.transactionCoordinatorOf(Deployment.relayTransactionalId());
                KafkaClusterNode victim = deployment.kafka.node(node);
                injection.target = "node " + node;
                long down = 2_000 + random.nextInt(3_000);
                injection.detail = "active controller was node " + deployment.kafka.activeController() + "; restarted after " + down + " ms";
                injection.startMillis = now();
                victim.kill();
                Thread.sleep(down);
                victim.restart();
                injection.healedMillis = now();
            }
            case PARTITION -> {
                ServiceProcess target = variant.startsWith("relay") ? relayLeader(random) : pick(deployment.projectors, random);
                List<FaultProxy> links = variant.startsWith("relay") ? deployment.kafkaLinks(target) : deployment.postgresLinks(target);
                long length = 10_000 + random.nextInt(20_001);
                injection.target = target.name();
                injection.detail = "cut off for " + length + " ms";
                injection.startMillis = now();
                links.forEach(link -> link.inject(NetworkFault.blackhole()));
                Thread.sleep(length);
                links.forEach(FaultProxy::heal);
                injection.healedMillis = now();
            }
            case LATENCY -> {
                List<ServiceProcess> targets = variant.startsWith("relays") ? deployment.relays : deployment.projectors;
                long delay = 50 + random.nextInt(151);
                long jitter = delay / 4;
                long length = 15_000 + random.nextInt(10_001);
                injection.target = String.join(", ", targets.stream().map(ServiceProcess::name).toList());
                injection.detail = delay + " ms +/- " + jitter + " ms each way for " + length + " ms";
                injection.startMillis = now();
                for (ServiceProcess target : targets) {
                    List<FaultProxy> links = variant.startsWith("relays") ? deployment.postgresLinks(target) : deployment.kafkaLinks(target);
                    links.forEach(link -> link.inject(NetworkFault.latency(Duration.ofMillis(delay), Duration.ofMillis(jitter))));
                }
                Thread.sleep(length);
                deployment.allLinks().forEach(FaultProxy::heal);
                injection.healedMillis = now();
            }
            case FAILOVER -> {
                injection.startMillis = now();
                ReplicatedPostgres.Failover failover = deployment.postgres.failover();
                injection.healedMillis = now();
                injection.target = "primary at port " + failover.oldPrimaryPort();
                injection.detail = "standby at port " + failover.newPrimaryPort() + " promoted; WAL it lacked: " + failover.walBytesLost()
                        + " bytes";
            }
            case FAILOVER_WITH_LOSS -> {
                ReplicatedPostgres postgres = deployment.postgres;
                injection.lossFromMillis = now();
                postgres.setMode(ReplicationMode.ASYNCHRONOUS);
                postgres.detachStandby();
                long alone = 1_500 + random.nextInt(2_501);
                Thread.sleep(alone);
                injection.startMillis = now();
                ReplicatedPostgres.Failover failover = postgres.failover();
                injection.healedMillis = now();
                injection.lossToMillis = injection.healedMillis;
                injection.target = "primary at port " + failover.oldPrimaryPort();
                injection.detail = "standby cut off " + (injection.startMillis - injection.lossFromMillis) + " ms before the kill;"
                        + " standby at port " + failover.newPrimaryPort() + " promoted; WAL it lacked: " + failover.walBytesLost() + " bytes";
            }
            case POSTGRES_CRASH -> {
                PostgresServer primary = deployment.postgres.primary();
                injection.target = "primary at port " + primaryPort();
                if (variant.equals("backends terminated")) {
                    injection.startMillis = now();
                    int terminated = terminateBackends(primary);
                    injection.healedMillis = now();
                    injection.detail = terminated + " backends terminated";
                } else {
                    long down = 500 + random.nextInt(2_500);
                    injection.startMillis = now();
                    primary.kill();
                    Thread.sleep(down);
                    primary.restart();
                    injection.healedMillis = now();
                    injection.detail = "restarted on its data after " + down + " ms";
                }
            }
        }
        return injection;
    }

    /** Puts back what the fault took for good, so that the next one meets a whole deployment. */
    void restore(Injection injection) throws InterruptedException {
        switch (injection.kind) {
            case KILL_BROKER -> deployment.kafka.awaitFullyReplicated(Duration.ofMinutes(2));
            case FAILOVER -> deployment.postgres.rebuildStandby();
            case FAILOVER_WITH_LOSS -> {
                deployment.postgres.rebuildStandby();
                deployment.postgres.setMode(ReplicationMode.SYNCHRONOUS);
            }
            case POSTGRES_CRASH -> deployment.postgres.setMode(ReplicationMode.SYNCHRONOUS);
            default -> {
            }
        }
        everythingRunning();
        injection.restoredMillis = now();
    }

    /** Every process running and not paused, every link healed (after a fault, and before the final audit). */
    void everythingRunning() {
        deployment.allLinks().forEach(FaultProxy::heal);
        for (ServiceProcess process : deployment.processes()) {
            if (process.isPaused()) {
                process.resume();
            }
            if (!process.isAlive()) {
                say.line(process.name() + " had died; starting it again (see " + process.log().getFileName() + ")");
                process.start();
            }
        }
    }

    private static void pause(Injection injection, ServiceProcess target, long atLeast, long spread, Random random) throws InterruptedException {
        long length = atLeast + random.nextInt((int) spread + 1);
        injection.target = target.name();
        injection.detail = "paused for " + length + " ms";
        injection.startMillis = now();
        target.pause();
        Thread.sleep(length);
        target.resume();
        injection.healedMillis = now();
    }

    /** The relay that leads now, as the relays' metrics say (waiting up to 30 s for one to say so). */
    private ServiceProcess relayLeader(Random random) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            operator.lookAtMetrics();
            Optional<ServiceProcess> leader = operator.leader().flatMap(deployment::process);
            if (leader.isPresent()) {
                return leader.get();
            }
            Thread.sleep(500);
        }
        ServiceProcess any = pick(deployment.relays, random);
        say.line("no relay says it leads; striking " + any.name());
        return any;
    }

    /** The node leading the most partitions of the event topic. */
    private int eventPartitionLeader() {
        Map<Integer, Integer> led = new HashMap<>();
        for (OptionalInt leader : deployment.kafka.leaders(deployment.auditConfig().todoTopic()).values()) {
            leader.ifPresent(node -> led.merge(node, 1, Integer::sum));
        }
        return led.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey)
                .orElseThrow(() -> new IllegalStateException("no node leads a partition of the event topic"));
    }

    private int primaryPort() {
        String url = deployment.postgres.primary().jdbcUrl("postgres");
        return Integer.parseInt(url.replaceAll(".*:(\\d+)/.*", "$1"));
    }

    private static int terminateBackends(PostgresServer postgres) throws Exception {
        try (Connection c = DriverManager.getConnection(postgres.jdbcUrl("postgres"), postgres.user(), postgres.password());
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                     + " WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static <T> T pick(List<T> choices, Random random) {
        return choices.get(random.nextInt(choices.size()));
    }

    private static long now() {
        return System.currentTimeMillis();
    }
}
