package dev.cqrs.embedded.kafka;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/** Topic names and the admin calls that the brokers share. */
final class Topics {

    /** Kafka's limit on a topic name's length. */
    static final int MAX_LENGTH = 249;

    private static final AtomicLong COUNTER = new AtomicLong();
    private static final SecureRandom RANDOM = new SecureRandom();

    private Topics() {
    }

    static String uniqueName(String prefix) {
        // '.' is legal but collides with '_' in metric names, so Kafka warns about it: leave it out.
        String base = prefix.replaceAll("[^a-zA-Z0-9_-]+", "-");
        if (base.isEmpty()) {
            base = "topic";
        }
        byte[] random = new byte[4];
        RANDOM.nextBytes(random);
        String suffix = "-" + COUNTER.incrementAndGet() + "-" + HexFormat.of().formatHex(random);
        return base.substring(0, Math.min(base.length(), MAX_LENGTH - suffix.length())) + suffix;
    }

    static void create(String bootstrapServers, String name, int partitions) {
        create(bootstrapServers, name, partitions, Map.of());
    }

    static void create(String bootstrapServers, String name, int partitions, Map<String, String> configs) {
        if (partitions < 1) {
            throw new IllegalArgumentException("a topic needs at least one partition, asked for " + partitions);
        }
        try (Admin admin = admin(bootstrapServers)) {
            admin.createTopics(List.of(new NewTopic(name, Optional.of(partitions), Optional.empty()).configs(configs)))
                    .all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("could not create topic " + name + " with " + partitions
                    + " partitions at " + bootstrapServers, e.getCause() == null ? e : e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topic " + name, e);
        }
    }

    static void delete(String bootstrapServers, Collection<String> names) {
        try (Admin admin = admin(bootstrapServers)) {
            admin.deleteTopics(names).all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                throw new IllegalStateException("could not delete topics " + names + " at " + bootstrapServers,
                        e.getCause());
            }
        } catch (TimeoutException e) {
            throw new IllegalStateException("could not delete topics " + names + " at " + bootstrapServers, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while deleting topics " + names, e);
        }
    }

    /**
     * Waits until the broker at {@code bootstrapServers} answers a describe-cluster request with at
     * least one broker, that is until it has registered with its controller and serves clients.
     *
     * @param alive       false as soon as the broker is known to be dead (fail fast)
     * @param diagnostics what to add to the error message (for example the tail of a log)
     */
    static void awaitReady(String bootstrapServers, Duration timeout, BooleanSupplier alive,
                           Supplier<String> diagnostics) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Exception last = null;
        try (Admin admin = admin(bootstrapServers)) {
            while (System.nanoTime() < deadline) {
                if (!alive.getAsBoolean()) {
                    throw new IllegalStateException("the Kafka broker at " + bootstrapServers
                            + " died while starting. " + diagnostics.get());
                }
                try {
                    if (!admin.describeCluster().nodes().get(2, TimeUnit.SECONDS).isEmpty()) {
                        return;
                    }
                } catch (ExecutionException | TimeoutException e) {
                    last = e;
                }
                TimeUnit.MILLISECONDS.sleep(100);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for Kafka at " + bootstrapServers, e);
        }
        throw new IllegalStateException("the Kafka broker at " + bootstrapServers + " was not ready within "
                + timeout.toSeconds() + " s. " + diagnostics.get(), last);
    }

    private static Admin admin(String bootstrapServers) {
        return Admin.create(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000,
                AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 200));
    }
}
