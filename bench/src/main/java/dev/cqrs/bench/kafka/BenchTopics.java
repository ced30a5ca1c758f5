package dev.cqrs.bench.kafka;

import dev.cqrs.embedded.kafka.KafkaBroker;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;

/** Topics of the bench's own: made before a side runs (not timed), deleted after it to free the disk. */
public final class BenchTopics {

    /** Partitions of every event topic, as the relay makes them by default. */
    public static final int PARTITIONS = 6;

    /**
     * An event topic's settings as the relay makes them: events kept for ever, which the relay checks and
     * refuses otherwise (a topic of the broker's defaults would delete old events).
     */
    private static final Map<String, String> KEPT_FOR_EVER =
            Map.of("retention.ms", "-1", "retention.bytes", "-1", "cleanup.policy", "delete");

    private BenchTopics() {
    }

    /** Makes an event topic as the relay would; both sides of a comparison get the same settings. */
    public static void create(KafkaBroker kafka, String topic) {
        kafka.createTopic(topic, PARTITIONS, KEPT_FOR_EVER);
    }

    /** Deletes the topics; the broker frees their files a little later. Failures are ignored: it is housekeeping. */
    public static void delete(KafkaBroker kafka, Collection<String> topics) {
        try {
            kafka.deleteTopics(topics);
        } catch (IllegalStateException e) {
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
