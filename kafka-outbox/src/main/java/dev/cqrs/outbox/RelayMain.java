package dev.cqrs.outbox;

import dev.cqrs.postgres.PostgresEventStore;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a relay as a process of its own. Configuration comes from environment variables:
 * {@code CQRS_DB_URL}, {@code CQRS_DB_USER}, {@code CQRS_DB_PASSWORD}, {@code CQRS_DB_SCHEMA} (default
 * {@code cqrs}), {@code CQRS_KAFKA_BOOTSTRAP}, and any relay key of {@link RelayConfig} written as
 * {@code CQRS_RELAY_<KEY>} (e.g. {@code CQRS_RELAY_BATCH_MAX_EVENTS} for {@code relay.batch.max.events});
 * system properties of the same names as the keys override them. SIGTERM stops it gracefully.
 */
public final class RelayMain {

    private static final Logger log = LoggerFactory.getLogger(RelayMain.class);

    private RelayMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        Map<String, String> env = System.getenv();
        Map<String, Object> props = new HashMap<>();
        props.put(RelayConfig.BOOTSTRAP_SERVERS, required(env, "CQRS_KAFKA_BOOTSTRAP"));
        env.forEach((name, value) -> {
            if (name.startsWith("CQRS_RELAY_")) {
                props.put("relay." + name.substring("CQRS_RELAY_".length()).toLowerCase().replace('_', '.'), value);
            }
        });
        System.getProperties().forEach((name, value) -> {
            if (name.toString().startsWith("relay.") || name.toString().startsWith(RelayConfig.PRODUCER_PREFIX)) {
                props.put(name.toString(), value);
            }
        });
        RelayConfig config = new RelayConfig(props);
        PostgresEventStore store = PostgresEventStore.builder(required(env, "CQRS_DB_URL"),
                        env.getOrDefault("CQRS_DB_USER", "postgres"), env.getOrDefault("CQRS_DB_PASSWORD", ""))
                .schema(env.getOrDefault("CQRS_DB_SCHEMA", "cqrs"))
                .poolSize(3)
                .build();
        Relay relay = Relay.start(store, config);
        CountDownLatch done = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("Stopping the relay");
            relay.close();
            store.close();
            done.countDown();
        }, "cqrs-relay-shutdown"));
        log.info("Relay process started (pid {})", ProcessHandle.current().pid());
        done.await();
    }

    private static String required(Map<String, String> env, String name) {
        String value = env.get(name);
        if (value == null || value.isBlank()) {
            System.err.println("The environment variable " + name + " must be set");
            System.exit(2);
        }
        return value;
    }
}
