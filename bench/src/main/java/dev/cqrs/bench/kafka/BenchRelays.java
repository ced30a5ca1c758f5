package dev.cqrs.bench.kafka;

import dev.cqrs.embedded.kafka.KafkaBroker;
import dev.cqrs.outbox.Relay;
import dev.cqrs.outbox.RelayConfig;
import dev.cqrs.outbox.RelayStatus;
import dev.cqrs.postgres.PostgresEventStore;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

/** The relays the scenarios run: kafka-outbox's {@link Relay} with its defaults, in a group and topics of their own. */
public final class BenchRelays {

    private BenchRelays() {
    }

    /**
     * A relay group named {@code name}, publishing to {@code <name>.events.<aggregate type>} in
     * {@value BenchTopics#PARTITIONS} partitions; everything else is the relay's default.
     */
    public static RelayConfig config(KafkaBroker kafka, String name) {
        Map<String, Object> settings = new HashMap<>();
        settings.put(RelayConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
        settings.put(RelayConfig.NAME, name);
        settings.put(RelayConfig.TOPIC_PATTERN, name + ".events.{aggregateType}");
        settings.put(RelayConfig.CHECKPOINT_TOPIC, "bench.relay.checkpoints");
        settings.put(RelayConfig.TOPIC_PARTITIONS, BenchTopics.PARTITIONS);
        return new RelayConfig(settings);
    }

    /** The relay's default for {@link RelayConfig#BATCH_MAX_EVENTS}: the events of one Kafka transaction. */
    public static int batchMaxEvents(KafkaBroker kafka) {
        return config(kafka, "bench").getInt(RelayConfig.BATCH_MAX_EVENTS);
    }

    /**
     * Waits until the relay leads and has published everything up to {@code position}, polling its
     * status every millisecond.
     *
     * @throws IllegalStateException when it made no progress for {@code stall}
     */
    public static void awaitPublished(Relay relay, long position, Duration stall) {
        long lastProgress = System.nanoTime();
        long lastPosition = -1;
        while (true) {
            RelayStatus status = relay.status();
            if (status.role() == RelayStatus.Role.LEADER && status.publishedPosition() >= position) {
                return;
            }
            long now = System.nanoTime();
            if (status.publishedPosition() != lastPosition) {
                lastPosition = status.publishedPosition();
                lastProgress = now;
            } else if (now - lastProgress > stall.toNanos()) {
                throw new IllegalStateException("the relay made no progress for " + stall + " at position "
                        + status.publishedPosition() + " of " + position + " (role " + status.role() + ", last error: "
                        + status.lastError().orElse("none") + ")");
            }
            LockSupport.parkNanos(1_000_000);
        }
    }

    /** Starts a relay of the store and waits until it has published everything up to the log's head. */
    public static Relay startAndCatchUp(PostgresEventStore store, RelayConfig config) {
        Relay relay = Relay.start(store, config);
        awaitPublished(relay, store.globalLog().headPosition(), Duration.ofSeconds(60));
        return relay;
    }
}
