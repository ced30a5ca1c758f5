package dev.cqrs.bench.kafka;

import dev.cqrs.embedded.kafka.KafkaBroker;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;

/** Topics of the bench's own: made before a side runs (not timed), deleted after it to free the disk. */
public final class BenchTopics {

    /** Partitions of every event topic, as the relay makes them by default. */
    public static final int PARTITIONS = 6;

    private BenchTopics() {
    }

    /**
     * Makes an event topic as the relay would: events kept for ever ({@code retention.ms} and
     * {@code retention.bytes} -1), which the relay checks and refuses otherwise (a topic of the broker's
     * defaults would delete old events). Both sides of a comparison get the same settings.
     */
    public static void create(KafkaBroker kafka, String topic) {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(topic, Optional.of(PARTITIONS), Optional.empty())
                    .configs(Map.of("retention.ms", "-1", "retention.bytes", "-1", "cleanup.policy", "delete"))))
                    .all().get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topic " + topic, e);
        } catch (Exception e) {
            throw new IllegalStateException("cannot create topic " + topic + ": " + e.getMessage(), e);
        }
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
