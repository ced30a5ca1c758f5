package dev.cqrs.outbox;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Creates the relay's topics on first use, with the configured partitions and replication. */
final class RelayTopics implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RelayTopics.class);

    private final Admin admin;
    private final int partitions;
    private final Optional<Short> replicationFactor;
    private final Duration timeout;
    private final Set<String> known = ConcurrentHashMap.newKeySet();

    RelayTopics(String bootstrapServers, int partitions, short replicationFactor, Duration timeout) {
        this.admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                AdminClientConfig.CLIENT_ID_CONFIG, "cqrs-relay-admin",
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) timeout.toMillis(),
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis()));
        this.partitions = partitions;
        this.replicationFactor = replicationFactor < 0 ? Optional.empty() : Optional.of(replicationFactor);
        this.timeout = timeout;
    }

    /** An event topic: kept forever, since projections replay it from the beginning. */
    void ensureEventTopic(String topic) {
        if (!known.contains(topic)) {
            create(new NewTopic(topic, Optional.of(partitions), replicationFactor).configs(Map.of("retention.ms", "-1")));
            known.add(topic);
        }
    }

    /** The checkpoint topic: one partition, compacted. */
    void ensureCheckpointTopic(String topic) {
        if (!known.contains(topic)) {
            create(new NewTopic(topic, Optional.of(1), replicationFactor).configs(Map.of("cleanup.policy", "compact")));
            known.add(topic);
        }
    }

    private void create(NewTopic topic) {
        try {
            admin.createTopics(List.of(topic)).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            log.info("Created topic {} ({} partitions)", topic.name(), topic.numPartitions());
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new KafkaException("cannot create topic " + topic.name() + ": " + e.getCause().getMessage(), e.getCause());
            }
        } catch (java.util.concurrent.TimeoutException e) {
            throw new org.apache.kafka.common.errors.TimeoutException("creating topic " + topic.name() + " took longer than " + timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaException("interrupted while creating topic " + topic.name(), e);
        }
    }

    @Override
    public void close() {
        admin.close(Duration.ofSeconds(2));
    }
}
