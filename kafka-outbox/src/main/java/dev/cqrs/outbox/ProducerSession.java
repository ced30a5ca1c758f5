package dev.cqrs.outbox;

import dev.cqrs.codec.kafka.EventRecords;
import dev.cqrs.core.EventStoreException;
import dev.cqrs.core.RawEvent;
import dev.cqrs.postgres.AppendNotifications;
import dev.cqrs.postgres.GlobalLog;
import dev.cqrs.postgres.PostgresEventStore;
import dev.cqrs.postgres.StoreIdentity;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One transactional producer's life in a leading relay: {@code initTransactions} (which fences any zombie
 * of the group's transactional id and settles its open transaction), abort what broker failures left
 * hanging, read the checkpoint and check it against the store, then publish batch after batch, each with
 * its checkpoint in one Kafka transaction, until the relay stops, loses its lock, or Kafka fails.
 * {@link #run()} says which, as an {@link Ending}; the relay decides what comes next.
 */
final class ProducerSession {

    private static final Logger log = LoggerFactory.getLogger(Relay.class);
    private static final Duration LOCK_CHECK_INTERVAL = Duration.ofSeconds(2);
    /** The default relay group name of an earlier version; its checkpoint is adopted by a relay of derived name. */
    static final String LEGACY_NAME = "cqrs";

    /** How a producer's life ended. */
    sealed interface Ending {
        /** The relay stops, or lost its lock: stand down. */
        record StoodDown() implements Ending {
        }

        /** Another relay of the group took over (this one is a zombie): stand down. */
        record Fenced(KafkaException cause) implements Ending {
        }

        /** Publishing would lose or mix events: refuse, saying why. */
        record Refused(String why) implements Ending {
        }

        /** Kafka failed: a new producer, from the checkpoint. */
        record KafkaFailed(KafkaException cause) implements Ending {
        }
    }

    /** What the relay knows of itself that a producer's life needs. */
    record Group(String name, PostgresEventStore store, RelayConfig config, StoreIdentity identity,
                 RelayProducers producers, RelayMetrics metrics, StopSignal stop) {
    }

    private final Group group;
    private final Producer<String, byte[]> kafka;
    private final RelayTopics topics;
    private final RelayCheckpoints checkpoints;
    private final AppendNotifications appends;
    private final LeaderLock lock;
    private final GlobalLog globalLog;
    private final String checkpointTopic;

    ProducerSession(Group group, Producer<String, byte[]> kafka, RelayTopics topics, RelayCheckpoints checkpoints,
                    AppendNotifications appends, LeaderLock lock) {
        this.group = group;
        this.kafka = kafka;
        this.topics = topics;
        this.checkpoints = checkpoints;
        this.appends = appends;
        this.lock = lock;
        this.globalLog = group.store().globalLog();
        this.checkpointTopic = group.config().getString(RelayConfig.CHECKPOINT_TOPIC);
    }

    Ending run() {
        try {
            topics.ensureCheckpointTopic(checkpointTopic);
            kafka.initTransactions();
            Set<String> eventTopics = eventTopics();
            int aborted = topics.abortHangingTransactions(checkpointTopic, eventTopics);
            if (aborted > 0) {
                group.metrics().failed("aborted " + aborted + " transaction(s) that a broker failure had left hanging", null);
            }
            Duration patience = Duration.ofMillis(group.config().getInt(RelayConfig.TRANSACTION_TIMEOUT_MS)).plusSeconds(15);
            RelayCheckpoints.Contents contents = checkpoints.read(topics.highWatermark(checkpointTopic), patience);
            RelayCheckpoints.Checkpoint checkpoint = resumePoint(contents);
            Continuity.Verdict verdict = Continuity.check(group.store(), checkpoint);
            if (verdict instanceof Continuity.Verdict.Behind behind && group.config().realignOnRegression()) {
                checkpoint = realign(behind, contents, eventTopics);
                verdict = new Continuity.Verdict.Continues();
            }
            if (!(verdict instanceof Continuity.Verdict.Continues)) {
                return new Ending.Refused(Continuity.explain(verdict, group.name(), checkpointTopic, group.identity()));
            }
            group.metrics().resumedAt(checkpoint.position());
            log.info("Relay {} resumes after global position {}", group.name(), checkpoint.position());
            Map<String, StoreIdentity> owners = new HashMap<>();
            contents.topicOwners().forEach((topic, owner) -> owners.put(topic, owner.store()));
            return publish(owners);
        } catch (RelayTopics.UnsafeTopicException e) {
            return new Ending.Refused(e.getMessage());
        } catch (KafkaException e) {
            return ending(e);
        }
    }

    /** A Kafka failure as what comes next: fencing stands down, a refused record refuses, the rest recovers. */
    private Ending ending(KafkaException e) {
        if (causedBy(e, ProducerFencedException.class) || causedBy(e, InvalidProducerEpochException.class)) {
            return new Ending.Fenced(e);
        }
        if (causedBy(e, RecordTooLargeException.class)) {
            return new Ending.Refused("Kafka refused a record as too large (" + RelayMetrics.describe(e) + "). The relay sends"
                    + " records of up to " + group.producers().maxRecordBytes() + " bytes (the store's limit with Kafka's"
                    + " overhead): raise the topic's max.message.bytes and the broker's message.max.bytes to at least that,"
                    + " or let the relay fix its topics (relay.topic.fix.settings=true)");
        }
        return new Ending.KafkaFailed(e);
    }

    /**
     * Renumbers the events a store that went back below its checkpoint wrote since, above the checkpoint
     * ({@code relay.on.regression=realign}); the checkpoint to resume from.
     */
    private RelayCheckpoints.Checkpoint realign(Continuity.Verdict.Behind behind, RelayCheckpoints.Contents contents,
                                                Set<String> eventTopics) {
        Set<String> published = new TreeSet<>(eventTopics);
        contents.topicOwners().forEach((topic, owner) -> {
            if (owner.store().storeId().equals(group.identity().storeId())) {
                published.add(topic);
            }
        });
        String bootstrapServers = String.join(",", group.config().getList(RelayConfig.BOOTSTRAP_SERVERS));
        Duration kafkaTimeout = Duration.ofMillis(group.config().getInt(RelayConfig.KAFKA_TIMEOUT_MS));
        return new Realignment(group.store(), bootstrapServers, kafkaTimeout).realign(group.name(), behind, published);
    }

    /**
     * Where to resume: this group's checkpoint; or, for a relay whose name comes from the store and that has
     * none yet, the checkpoint an earlier version of the relay left under its default name (a bare position
     * with no store), if this store holds the event there. That earlier relay's transactional id is fenced
     * first, so that it cannot publish on beside this one.
     */
    private RelayCheckpoints.Checkpoint resumePoint(RelayCheckpoints.Contents contents) {
        RelayCheckpoints.Checkpoint own = contents.checkpoint(group.name());
        if (own.position() > 0 || group.config().configuredName().isPresent()) {
            return own;
        }
        RelayCheckpoints.Checkpoint legacy = contents.checkpoint(LEGACY_NAME);
        if (!legacy.isLegacy() || group.store().eventAt(legacy.position()).isEmpty()) {
            return own;
        }
        try (Producer<String, byte[]> old = group.producers().create(RelayConfig.transactionalId(LEGACY_NAME))) {
            old.initTransactions();
        }
        log.info("Relay {} adopts the checkpoint of relay group '{}' (an earlier version's default name): position {}",
                group.name(), LEGACY_NAME, legacy.position());
        return legacy;
    }

    /** The topics of the aggregate types that have events in the store. */
    private Set<String> eventTopics() {
        Set<String> names = new TreeSet<>();
        for (String type : group.store().aggregateTypes()) {
            names.add(group.config().topicOf(type));
        }
        return names;
    }

    /**
     * Publishes batch after batch. While a full batch (a backlog) is sent and committed, the next one is
     * read from the global log on another thread: reading after the position being published returns
     * the same events as reading after it once published, since the log only grows at its end. A batch
     * read ahead belongs to this producer: after a failure the relay resumes from its checkpoint, and reads
     * again.
     */
    private Ending publish(Map<String, StoreIdentity> owners) {
        ExecutorService reader = Executors.newSingleThreadExecutor(
                Thread.ofPlatform().daemon().name("cqrs-relay-reader-" + group.name()).factory());
        try {
            return publish(owners, reader);
        } finally {
            reader.shutdownNow();
        }
    }

    private Ending publish(Map<String, StoreIdentity> owners, ExecutorService reader) {
        int maxEvents = group.config().getInt(RelayConfig.BATCH_MAX_EVENTS);
        long lockCheckedAt = System.nanoTime();
        Future<List<RawEvent>> readAhead = null;
        while (!group.stop().requested()) {
            if (System.nanoTime() - lockCheckedAt > LOCK_CHECK_INTERVAL.toNanos()) {
                if (!lock.isHeld()) {
                    group.metrics().failed("lost the leader lock (the database session ended)", null);
                    return new Ending.StoodDown();
                }
                lockCheckedAt = System.nanoTime();
                watchHoldUp();
            }
            List<RawEvent> batch;
            try {
                batch = readAhead != null ? result(readAhead) : globalLog.readAfter(group.metrics().publishedPosition(), maxEvents);
            } catch (EventStoreException e) {
                group.metrics().failed("cannot read the global log", e);
                group.stop().sleep(group.config().errorBackoff());
                continue;
            } finally {
                readAhead = null;
            }
            if (batch.isEmpty()) {
                appends.await(group.config().pollInterval());
                continue;
            }
            RawEvent last = batch.get(batch.size() - 1);
            if (batch.size() == maxEvents) {
                readAhead = reader.submit(() -> globalLog.readAfter(last.globalPosition(), maxEvents));
            }
            kafka.beginTransaction();
            for (RawEvent event : batch) {
                kafka.send(EventRecords.toRecord(publishableTopic(event, owners), event));
            }
            kafka.send(checkpoints.record(group.name(), last.globalPosition(), last.metadata().eventId(), group.identity()));
            kafka.commitTransaction();
            group.metrics().committed(batch.size(), last.globalPosition());
            log.debug("Published {} events up to global position {}", batch.size(), last.globalPosition());
        }
        return new Ending.StoodDown();
    }

    /**
     * The topic of {@code event}, checked before this producer's first record to it: made if missing, and
     * claimed for this store (an owner record in this transaction) unless another store's relay has.
     */
    private String publishableTopic(RawEvent event, Map<String, StoreIdentity> owners) {
        String topic = group.config().topicOf(event.stream().aggregateType());
        StoreIdentity owner = owners.get(topic);
        StoreIdentity identity = group.identity();
        if (owner != null && !owner.storeId().equals(identity.storeId())) {
            throw new RelayTopics.UnsafeTopicException("topic " + topic + " is published by " + owner.describe()
                    + "; this relay publishes " + identity.describe() + ". Two stores must not publish to one topic (their"
                    + " positions would interleave and consumers would skip events): give this store's relay a topic"
                    + " pattern of its own (relay.topic.pattern, e.g. events.{aggregateType}." + identity.schema() + ")");
        }
        topics.ensureEventTopic(topic);
        if (owner == null) {
            kafka.send(checkpoints.ownerRecord(topic, identity));
            owners.put(topic, identity);
        }
        return topic;
    }

    /** The batch read ahead; its failure as the read's own. */
    private static List<RawEvent> result(Future<List<RawEvent>> readAhead) {
        try {
            return readAhead.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException failure) {
                throw failure;
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EventStoreException("interrupted while reading the global log", e);
        }
    }

    /**
     * Looks at what holds the global log back. An append running for longer than the warning threshold is
     * logged (once per backend) and shown in the status, with its backend's pid, so that an operator can act.
     */
    private void watchHoldUp() {
        try {
            long warnAfter = group.config().getInt(RelayConfig.HOLDUP_WARN_MS);
            GlobalLog.HoldUp now = globalLog.holdUp().filter(h -> h.age().toMillis() >= warnAfter).orElse(null);
            GlobalLog.HoldUp previous = group.metrics().heldBackBy(now);
            if (now != null && (previous == null || previous.pid() != now.pid())) {
                log.warn("Relay {}: the global log is held back by an append that has been running for {} ms: {}. Events after"
                        + " it are not published until it ends (end it with SELECT pg_terminate_backend({}))", group.name(),
                        now.age().toMillis(), now.describe(), now.pid());
            } else if (now == null && previous != null) {
                log.info("Relay {}: the global log is no longer held back by backend {}", group.name(), previous.pid());
            }
        } catch (RuntimeException e) {
            log.debug("Relay {}: cannot tell what holds the global log back: {}", group.name(), e.toString());
        }
    }

    private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
        for (Throwable cause = e; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
            if (type.isInstance(cause)) {
                return true;
            }
        }
        return false;
    }
}
