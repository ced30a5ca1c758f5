package dev.cqrs.reliability.audit;

import dev.cqrs.audit.AuditReport;
import dev.cqrs.audit.Auditor;
import dev.cqrs.codec.avro.AvroEventCodec;
import dev.cqrs.codec.registry.SchemaRegistryClient;
import dev.cqrs.postgres.PostgresEventStore;
import dev.cqrs.todo.domain.TodoAggregate;
import dev.cqrs.todo.domain.TodoEvent;
import dev.cqrs.todo.service.ServiceConfig;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * {@code ./cqrs audit}: compares the to-do service's event store, its Kafka topic and its to-do list read
 * model, prints what differs, and exits 1 when anything does (0 when all agree, 2 on bad usage).
 *
 * <p>It reads the service's own environment variables (CQRS_DB_URL, CQRS_KAFKA_BOOTSTRAP,
 * CQRS_SCHEMA_REGISTRY_URL, ...); with none set, it looks for the addresses that a running
 * {@code ./cqrs dev} wrote to {@code .cqrs/dev/endpoints.env}. {@code --settle SECONDS} audits again, for at
 * most that long, while differences remain: a live system's relay and projector lag behind its writes by a
 * few milliseconds, and only differences that stay are real.
 */
public final class AuditMain {

    private AuditMain() {
    }

    public static void main(String[] args) throws Exception {
        Duration settle = Duration.ZERO;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--settle" -> settle = Duration.ofSeconds(Long.parseLong(args[++i]));
                case "help", "--help", "-h" -> {
                    System.out.println("usage: ./cqrs audit [--settle SECONDS]");
                    return;
                }
                default -> {
                    System.err.println("unknown argument '" + args[i] + "'; usage: ./cqrs audit [--settle SECONDS]");
                    System.exit(2);
                }
            }
        }
        Map<String, String> env = environment();
        ServiceConfig config = ServiceConfig.from(withRoles(env));
        AuditReport report = audit(config, settle);
        System.out.print(report.table());
        System.out.println(report.isClean() ? "audit: no difference" : "audit: " + report.differences() + " difference(s)");
        System.exit(report.isClean() ? 0 : 1);
    }

    /** Audits a service, again and again for up to {@code settle} while differences remain. */
    public static AuditReport audit(ServiceConfig config, Duration settle) throws Exception {
        long deadline = System.nanoTime() + settle.toNanos();
        try (PostgresEventStore store = PostgresEventStore.builder(config.eventStore().url(), config.eventStore().user(),
                config.eventStore().password()).schema(config.storeSchema()).migrate(false).poolSize(2).build();
             SchemaRegistryClient registry = SchemaRegistryClient.builder(config.registryUrl().orElseThrow(
                     () -> new IllegalArgumentException("CQRS_SCHEMA_REGISTRY_URL is needed to decode the events"))).build()) {
            AvroEventCodec<TodoEvent> codec = AvroEventCodec.builder(TodoEvent.class, TodoAggregate.TYPE, registry).build();
            PGSimpleDataSource readModel = new PGSimpleDataSource();
            readModel.setURL(config.readModel().url());
            readModel.setUser(config.readModel().user());
            readModel.setPassword(config.readModel().password());
            while (true) {
                AuditReport report = Auditor.builder(store.globalLog(), config.kafkaBootstrap(), config.relayConfig()::topicOf)
                        .readModel(new TodoListAudit(codec, readModel, config.readSchema() + ".todos"))
                        .build()
                        .audit();
                if (report.isClean() || System.nanoTime() > deadline) {
                    return report;
                }
                Thread.sleep(1_000);
            }
        }
    }

    private static Map<String, String> withRoles(Map<String, String> env) {
        Map<String, String> settings = new HashMap<>(env);
        settings.put(ServiceConfig.Setting.ROLES.variable(), "api");
        return settings;
    }

    /** The environment, or what a running dev mode wrote down when the environment names no servers. */
    private static Map<String, String> environment() throws java.io.IOException {
        Map<String, String> env = new HashMap<>(System.getenv());
        if (env.containsKey(ServiceConfig.Setting.DB_URL.variable())) {
            return env;
        }
        java.nio.file.Path endpoints = java.nio.file.Path.of(System.getProperty("cqrs.home", "."), ".cqrs", "dev", "endpoints.env");
        if (!java.nio.file.Files.exists(endpoints)) {
            throw new IllegalStateException("no CQRS_DB_URL is set and no dev mode is running (" + endpoints
                    + " does not exist): start ./cqrs dev, or set the service's environment variables");
        }
        for (String line : java.nio.file.Files.readAllLines(endpoints)) {
            int equals = line.indexOf('=');
            if (equals > 0 && !line.startsWith("#")) {
                env.putIfAbsent(line.substring(0, equals), line.substring(equals + 1));
            }
        }
        return env;
    }
}
