package dev.cqrs.bench.kafka;

import dev.cqrs.embedded.kafka.KafkaBroker;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/** Topics of the bench's own: made before a side runs (not timed), deleted after it to free the disk. */
public final class BenchTopics {

    /** Partitions of every event topic, as the relay makes them by default. */
    public static final int PARTITIONS = 6;

    private BenchTopics() {
    }

    public static void create(KafkaBroker kafka, String topic) {
        kafka.createTopic(topic, PARTITIONS);
    }

    /** Deletes the topics; the broker frees their files a little later. Failures are ignored: it is housekeeping. */
    public static void delete(KafkaBroker kafka, Collection<String> topics) {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            admin.deleteTopics(topics).all().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            // a topic left behind costs disk space only
        }
    }

    /** Waits a moment for deleted topics' files to go, so the next side does not pay for it. */
    public static void settle() {
        try {
            Thread.sleep(Duration.ofMillis(200));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
