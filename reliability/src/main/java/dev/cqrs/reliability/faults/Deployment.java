package dev.cqrs.reliability.faults;

import dev.cqrs.embedded.kafka.KafkaCluster;
import dev.cqrs.embedded.kafka.KafkaClusterOptions;
import dev.cqrs.embedded.network.FaultProxy;
import dev.cqrs.embedded.postgres.ReplicatedPostgres;
import dev.cqrs.embedded.postgres.ReplicationMode;
import dev.cqrs.embedded.postgres.TestDatabase;
import dev.cqrs.embedded.registry.LocalSchemaRegistry;
import dev.cqrs.todo.service.ServiceConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

/**
 * The to-do service deployed as production would run it, on this machine: two api processes, two relays
 * (one leads, one stands by) and two projectors sharing the partitions, on a three-node Kafka cluster and a
 * PostgreSQL primary with a synchronous streaming standby.
 *
 * <pre>
 *  api-1, api-2 ───────────────────────────── direct ──▶ PostgreSQL (multi-host URL: the primary)
 *  relay-1, relay-2 ──▶ proxies relayN->kafka-1..3, relayN->pg-a/b ──▶ Kafka nodes 1-3, PostgreSQL
 *  projector-1, -2  ──▶ proxies projectorN->kafka-1..3, projectorN->pg-a/b ──▶ the same
 * </pre>
 *
 * Each relay and projector process reaches Kafka and PostgreSQL through fault proxies of its own (a Kafka
 * link per process: the nodes advertise the proxies, so metadata never leads it around them), so a fault
 * can cut, slow or reset exactly one process's network. The relays realign after a failover that lost
 * commits ({@code CQRS_RELAY_ON_REGRESSION=realign}); their lease, transaction and producer timeouts are
 * shortened so that a paused leader is replaced within seconds (see {@link #relayEnvironment}).
 */
final class Deployment implements AutoCloseable {

    static final int PARTITIONS = 6;
    static final String RELAY_NAME = "todo";
    static final String STORE_SCHEMA = "cqrs";
    static final String READ_SCHEMA = "read";
    /** The relay's leader lease; a paused leader is replaced within about this long. */
    static final Duration RELAY_LEASE = Duration.ofSeconds(6);
    /** The relay's Kafka transaction timeout, and its producer's request and delivery timeouts. */
    static final Duration RELAY_TRANSACTION_TIMEOUT = Duration.ofSeconds(10);
    static final Duration RELAY_REQUEST_TIMEOUT = Duration.ofSeconds(8);
    static final Duration RELAY_DELIVERY_TIMEOUT = Duration.ofSeconds(15);
    /** The projectors' Kafka session timeout (the projector's own setting). */
    static final Duration PROJECTOR_SESSION_TIMEOUT = Duration.ofSeconds(10);

    final Path directory;
    final KafkaCluster kafka;
    final ReplicatedPostgres postgres;
    final TestDatabase database;
    final LocalSchemaRegistry registry;
    final List<ServiceProcess> apis = new ArrayList<>();
    final List<ServiceProcess> relays = new ArrayList<>();
    final List<ServiceProcess> projectors = new ArrayList<>();
    /** Per relay and projector process, its proxy in front of each PostgreSQL node. */
    private final Map<String, List<FaultProxy>> postgresLinks = new HashMap<>();

    private Deployment(Path directory, KafkaCluster kafka, ReplicatedPostgres postgres, LocalSchemaRegistry registry) {
        this.directory = directory;
        this.kafka = kafka;
        this.postgres = postgres;
        this.database = postgres.createDatabase("todo");
        this.registry = registry;
    }

    /** Starts the servers and the six service processes (not waiting for the processes to serve). */
    static Deployment start(Path directory) {
        CompletableFuture<ReplicatedPostgres> postgres = CompletableFuture.supplyAsync(
                () -> ReplicatedPostgres.start(ReplicationMode.SYNCHRONOUS, directory.resolve("postgres")));
        KafkaCluster kafka;
        try {
            kafka = KafkaCluster.start(KafkaClusterOptions.threeNodes().withDataDirectory(directory.resolve("kafka"))
                    .withLinks("relay1", "relay2", "projector1", "projector2"));
        } catch (RuntimeException e) {
            postgres.thenAccept(ReplicatedPostgres::close);
            throw e;
        }
        Deployment deployment;
        try {
            deployment = new Deployment(directory, kafka, postgres.join(), LocalSchemaRegistry.start(kafka.bootstrapServers(), 0, "_schemas"));
        } catch (RuntimeException e) {
            kafka.close();
            postgres.thenAccept(ReplicatedPostgres::close);
            throw e;
        }
        try {
            deployment.launch();
        } catch (RuntimeException e) {
            deployment.close();
            throw e;
        }
        return deployment;
    }

    private void launch() {
        for (int n = 1; n <= 2; n++) {
            relays.add(process("relay-" + n, "relay", relayEnvironment(n)));
        }
        for (int n = 1; n <= 2; n++) {
            Map<String, String> env = common();
            env.put("CQRS_DB_URL", directJdbcUrl());
            env.put("CQRS_KAFKA_BOOTSTRAP", kafka.bootstrapServers());
            apis.add(process("api-" + n, "api", env));
        }
        for (int n = 1; n <= 2; n++) {
            Map<String, String> env = common();
            env.put("CQRS_DB_URL", proxiedJdbcUrl("projector" + n));
            env.put("CQRS_KAFKA_BOOTSTRAP", kafka.bootstrapServers("projector" + n));
            env.put("CQRS_PROJECTOR_STATE_DIR", directory.resolve("streams-" + n).toString());
            projectors.add(process("projector-" + n, "projector", env));
        }
        relays.forEach(ServiceProcess::start);
        apis.forEach(ServiceProcess::start);
        projectors.forEach(ServiceProcess::start);
    }

    /**
     * A relay's settings: realign after a regression, a lease of {@link #RELAY_LEASE}, and Kafka timeouts a
     * production relay on a three-node cluster could use ({@code CQRS_RELAY_PRODUCER_*} go to its producer).
     */
    private Map<String, String> relayEnvironment(int n) {
        Map<String, String> env = common();
        env.put("CQRS_DB_URL", proxiedJdbcUrl("relay" + n));
        env.put("CQRS_KAFKA_BOOTSTRAP", kafka.bootstrapServers("relay" + n));
        env.put("CQRS_RELAY_ON_REGRESSION", "realign");
        env.put("CQRS_RELAY_LOCK_LEASE_MS", Long.toString(RELAY_LEASE.toMillis()));
        env.put("CQRS_RELAY_TRANSACTION_TIMEOUT_MS", Long.toString(RELAY_TRANSACTION_TIMEOUT.toMillis()));
        env.put("CQRS_RELAY_KAFKA_TIMEOUT_MS", "5000");
        env.put("CQRS_RELAY_PRODUCER_REQUEST_TIMEOUT_MS", Long.toString(RELAY_REQUEST_TIMEOUT.toMillis()));
        env.put("CQRS_RELAY_PRODUCER_DELIVERY_TIMEOUT_MS", Long.toString(RELAY_DELIVERY_TIMEOUT.toMillis()));
        env.put("CQRS_RELAY_STANDBY_RETRY_MS", "200");
        env.put("CQRS_RELAY_ERROR_BACKOFF_MS", "500");
        env.put("CQRS_RELAY_REFUSED_RETRY_MS", "5000");
        return env;
    }

    private Map<String, String> common() {
        Map<String, String> env = new HashMap<>();
        env.put("CQRS_DB_USER", postgres.user());
        env.put("CQRS_DB_PASSWORD", postgres.password());
        env.put("CQRS_DB_SCHEMA", STORE_SCHEMA);
        env.put("CQRS_READ_SCHEMA", READ_SCHEMA);
        env.put("CQRS_SCHEMA_REGISTRY_URL", registry.url());
        env.put("CQRS_RELAY_NAME", RELAY_NAME);
        env.put("CQRS_RELAY_TOPIC_PARTITIONS", Integer.toString(PARTITIONS));
        env.put("CQRS_RELAY_TOPIC_REPLICATION_FACTOR", Integer.toString(kafka.replicationFactor()));
        return env;
    }

    private ServiceProcess process(String name, String role, Map<String, String> env) {
        return new ServiceProcess(name, role, freePort(), env, directory.resolve(name + ".log"));
    }

    /** Both PostgreSQL nodes, direct; pgjdbc picks the primary. */
    String directJdbcUrl() {
        return database.jdbcUrl();
    }

    /** Both nodes through the proxies of {@code link} (made on first use). */
    private String proxiedJdbcUrl(String link) {
        List<Integer> ports = postgres.ports();
        List<FaultProxy> proxies = new ArrayList<>();
        for (int i = 0; i < ports.size(); i++) {
            proxies.add(FaultProxy.start(link + "->pg-" + (char) ('a' + i), ports.get(i)));
        }
        postgresLinks.put(link, proxies);
        return postgres.jdbcUrl(database.name(), port -> proxies.get(ports.indexOf(port)).port());
    }

    /** The proxies between {@code process} and the PostgreSQL nodes (a relay or projector process). */
    List<FaultProxy> postgresLinks(ServiceProcess process) {
        return postgresLinks.getOrDefault(linkName(process), List.of());
    }

    /** The proxies between {@code process} and the Kafka nodes (a relay or projector process). */
    List<FaultProxy> kafkaLinks(ServiceProcess process) {
        return kafka.links(linkName(process));
    }

    private static String linkName(ServiceProcess process) {
        return process.name().replace("-", "");
    }

    /** Every proxy of every process. */
    List<FaultProxy> allLinks() {
        List<FaultProxy> all = new ArrayList<>();
        postgresLinks.values().forEach(all::addAll);
        Stream.concat(relays.stream(), projectors.stream()).forEach(p -> all.addAll(kafkaLinks(p)));
        return all;
    }

    List<ServiceProcess> processes() {
        List<ServiceProcess> all = new ArrayList<>(apis);
        all.addAll(relays);
        all.addAll(projectors);
        return all;
    }

    Optional<ServiceProcess> process(String name) {
        return processes().stream().filter(p -> p.name().equals(name)).findFirst();
    }

    /** The service's configuration as an outside tool (the auditor) sees it: direct connections, no role of its own. */
    ServiceConfig auditConfig() {
        Map<String, String> env = common();
        env.put("CQRS_ROLES", "api");
        env.put("CQRS_DB_URL", directJdbcUrl());
        env.put("CQRS_KAFKA_BOOTSTRAP", kafka.bootstrapServers());
        return ServiceConfig.from(env);
    }

    /** The Kafka transactional id of the relays (their group is {@link #RELAY_NAME}). */
    static String relayTransactionalId() {
        return "cqrs-relay-" + RELAY_NAME;
    }

    private boolean closed;

    /** Stops the service processes, then the proxies, the registry, Kafka and PostgreSQL; once. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (ServiceProcess process : processes()) {
            try {
                process.stop();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        allLinks().forEach(FaultProxy::close);
        registry.close();
        kafka.close();
        postgres.close();
    }

    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port", e);
        }
    }

    static Path createDirectory(Path directory) {
        try {
            return Files.createDirectories(directory);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + directory, e);
        }
    }
}
