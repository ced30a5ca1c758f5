package dev.cqrs.outbox;

import dev.cqrs.codec.kafka.EventRecords;

import dev.cqrs.core.EventStoreException;
import dev.cqrs.core.RawEvent;
import dev.cqrs.postgres.AppendNotifications;
import dev.cqrs.postgres.GlobalLog;
import dev.cqrs.postgres.PostgresEventStore;
import dev.cqrs.postgres.StoreIdentity;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The outbox relay: publishes every committed event of a {@link PostgresEventStore} to Kafka, exactly
 * once and in order per aggregate, copying the payload bytes (it never decodes an event).
 *
 * <p>How exactly-once holds:
 * <ol>
 *   <li>One relay of a group leads (a PostgreSQL advisory lock); the others stand by and take over
 *       when the leader's session ends.</li>
 *   <li>The leader's producer has a fixed transactional id. {@code initTransactions} fences any older
 *       producer with that id and settles the transaction it may have left open.</li>
 *   <li>It then reads its checkpoint (the last published position) with {@code read_committed}.</li>
 *   <li>Each batch of events read from the global log after the checkpoint, and the new checkpoint, go
 *       in one Kafka transaction. A crash anywhere leaves either all of it or none of it visible.</li>
 *   <li>The global log returns the same events in the same order after the same position, so a batch
 *       that was lost is published again identically.</li>
 * </ol>
 * Any failure of Kafka is handled as a crash of the producer: a new producer, {@code initTransactions},
 * the checkpoint read again. Database failures only pause the loop.
 *
 * <pre>{@code
 * Relay relay = Relay.start(store, new RelayConfig(Map.of("bootstrap.servers", "localhost:9092")));
 * ...
 * relay.close(); // finishes the current transaction, releases leadership
 * }</pre>
 */
public final class Relay implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Relay.class);
    private static final Duration LOCK_CHECK_INTERVAL = Duration.ofSeconds(2);

    /** The default relay group name of an earlier version; its checkpoint is adopted by a relay of derived name. */
    private static final String LEGACY_NAME = "cqrs";

    private final PostgresEventStore store;
    private final GlobalLog globalLog;
    private final RelayConfig config;
    private final String bootstrapServers;
    private final RelayConfig topicNames;
    private final StoreIdentity identity;
    /** The relay group's name: configured, or from the store's identity. */
    private final String name;
    private final long lockKey;
    private final Duration kafkaTimeout;
    private final int maxRecordBytes;
    private final Thread thread;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final CountDownLatch stopRequested = new CountDownLatch(1);

    private volatile boolean stopping;
    private volatile boolean halted;
    private volatile RelayStatus.Role role = RelayStatus.Role.STANDBY;
    private final AtomicReference<Producer<String, byte[]>> producer = new AtomicReference<>();
    private final AtomicReference<LeaderLock> lock = new AtomicReference<>();

    private final AtomicLong publishedPosition = new AtomicLong();
    private final AtomicLong eventsPublished = new AtomicLong();
    private final AtomicLong transactionsCommitted = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private volatile int lastBatchSize;
    private volatile int largestBatchSize;
    private volatile String lastError;
    private volatile Instant lastPublishedAt;
    /** Why this relay refuses to publish, while it does. */
    private volatile String refusal;
    /** What holds the global log back, once it has for longer than the warning threshold. */
    private volatile GlobalLog.HoldUp heldBackBy;
    private final RateMeter rate = new RateMeter();
    /** Makes the relay's transactional producers: Kafka's, or (in fault tests) a decorator of Kafka's. */
    interface Producers {
        Producers KAFKA = settings -> new KafkaProducer<>(settings, new StringSerializer(), new ByteArraySerializer());

        Producer<String, byte[]> create(Map<String, Object> settings);
    }

    private final Producers producers;

    private Relay(PostgresEventStore store, RelayConfig config, Producers producers) {
        this.producers = producers;
        this.store = store;
        this.globalLog = store.globalLog();
        this.config = config;
        this.bootstrapServers = String.join(",", config.getList(RelayConfig.BOOTSTRAP_SERVERS));
        this.topicNames = config;
        this.identity = store.identity();
        this.name = config.configuredName().orElse("store-" + identity.shortId());
        this.lockKey = LeaderLock.keyOf(store.schema(), name);
        this.kafkaTimeout = Duration.ofMillis(config.getInt(RelayConfig.KAFKA_TIMEOUT_MS));
        this.maxRecordBytes = store.maxRecordBytes();
        this.thread = Thread.ofPlatform().name("cqrs-relay-" + name).unstarted(this::run);
    }

    /** Starts a relay of the group {@code config} names; it leads or stands by as the lock decides. */
    public static Relay start(PostgresEventStore store, RelayConfig config) {
        return start(store, config, Producers.KAFKA);
    }

    /** For fault tests: a relay whose producers come from {@code producers}. */
    static Relay start(PostgresEventStore store, RelayConfig config, Producers producers) {
        Relay relay = new Relay(store, config, producers);
        relay.thread.start();
        return relay;
    }

    /** What the relay is doing now. */
    public RelayStatus status() {
        RelayStatus.Role now = refusal != null && role != RelayStatus.Role.STOPPED ? RelayStatus.Role.REFUSED : role;
        return new RelayStatus(now, publishedPosition.get(), eventsPublished.get(), transactionsCommitted.get(),
                lastBatchSize, largestBatchSize, rate.perSecond(), errors.get(),
                Optional.ofNullable(refusal != null ? refusal : lastError), Optional.ofNullable(lastPublishedAt),
                Optional.ofNullable(heldBackBy));
    }

    /** The relay group's name: the one configured, or {@code store-<id>} from the store's identity. */
    public String name() {
        return name;
    }

    /** Events committed to the store and not yet published (a count; queries the database). */
    public long lagEvents() {
        return globalLog.countAfter(publishedPosition.get());
    }

    private void run() {
        try {
            while (!stopping) {
                if (refusal != null) {
                    sleep(Duration.ofMillis(config.getLong(RelayConfig.REFUSED_RETRY_MS)));
                    if (stopping) {
                        break;
                    }
                }
                Optional<LeaderLock> acquired = tryLead();
                if (acquired.isEmpty()) {
                    sleep(config.standbyRetry());
                    continue;
                }
                lock.set(acquired.get());
                role = RelayStatus.Role.LEADER;
                log.info("Relay {} is the leader; publishing to Kafka at {}", name, bootstrapServers);
                try {
                    lead(acquired.get());
                } catch (RuntimeException e) {
                    if (!halted) {
                        failed("unexpected failure while leading; standing down and trying again", e);
                        sleep(config.errorBackoff());
                    }
                } finally {
                    role = stopping ? RelayStatus.Role.STOPPED : RelayStatus.Role.STANDBY;
                    if (!halted) {
                        acquired.get().close();
                    }
                    lock.set(null);
                    log.info("Relay {} stopped leading at position {}", name, publishedPosition.get());
                }
            }
        } finally {
            role = RelayStatus.Role.STOPPED;
            stopped.countDown();
        }
    }

    private Optional<LeaderLock> tryLead() {
        try {
            return LeaderLock.tryAcquire(store::openSession, lockKey, Duration.ofMillis(config.getInt(RelayConfig.LOCK_LEASE_MS)));
        } catch (SQLException e) {
            failed("cannot reach PostgreSQL to take the leader lock", e);
            sleep(config.errorBackoff());
            return Optional.empty();
        }
    }

    /** Publishes while this relay holds the lock; recovers from Kafka failures with a new producer. */
    private void lead(LeaderLock leaderLock) {
        try (RelayTopics topics = new RelayTopics(bootstrapServers, config.getInt(RelayConfig.TOPIC_PARTITIONS),
                config.getShort(RelayConfig.TOPIC_REPLICATION_FACTOR), kafkaTimeout, maxRecordBytes + RECORD_OVERHEAD_BYTES,
                config.getBoolean(RelayConfig.TOPIC_FIX_SETTINGS));
             AppendNotifications appends = store.listenForAppends()) {
            String checkpointTopic = config.getString(RelayConfig.CHECKPOINT_TOPIC);
            Duration checkpointPatience = Duration.ofMillis(config.getInt(RelayConfig.TRANSACTION_TIMEOUT_MS)).plusSeconds(15);
            RelayCheckpoints checkpoints = new RelayCheckpoints(checkpointTopic, bootstrapServers, kafkaTimeout);
            while (!stopping && leaderLock.isHeld()) {
                Producer<String, byte[]> kafka = newProducer(RelayConfig.transactionalId(name));
                producer.set(kafka);
                try {
                    topics.ensureCheckpointTopic(checkpointTopic);
                    kafka.initTransactions();
                    Set<String> eventTopics = eventTopics();
                    int aborted = topics.abortHangingTransactions(checkpointTopic, eventTopics);
                    if (aborted > 0) {
                        failed("aborted " + aborted + " transaction(s) that a broker failure had left hanging", null);
                    }
                    RelayCheckpoints.Contents contents = checkpoints.read(topics.highWatermark(checkpointTopic), checkpointPatience);
                    RelayCheckpoints.Checkpoint checkpoint = resumePoint(contents);
                    Continuity.Verdict verdict = Continuity.check(store, checkpoint);
                    if (verdict instanceof Continuity.Verdict.Behind behind && config.realignOnRegression()) {
                        Set<String> published = new java.util.TreeSet<>(eventTopics);
                        contents.topicOwners().forEach((topic, owner) -> {
                            if (owner.store().storeId().equals(identity.storeId())) {
                                published.add(topic);
                            }
                        });
                        checkpoint = new Realignment(store, bootstrapServers, kafkaTimeout).realign(name, behind, published);
                        verdict = new Continuity.Verdict.Continues();
                    }
                    if (!(verdict instanceof Continuity.Verdict.Continues)) {
                        refuse(Continuity.explain(verdict, name, checkpointTopic, identity));
                        return;
                    }
                    refusal = null;
                    Map<String, StoreIdentity> owners = new HashMap<>();
                    contents.topicOwners().forEach((topic, owner) -> owners.put(topic, owner.store()));
                    publishedPosition.set(checkpoint.position());
                    log.info("Relay {} resumes after global position {}", name, checkpoint.position());
                    publish(kafka, topics, checkpoints, owners, appends, leaderLock);
                } catch (RelayTopics.UnsafeTopicException e) {
                    refuse(e.getMessage());
                    return;
                } catch (ProducerFencedException | InvalidProducerEpochException e) {
                    // A newer producer with our transactional id exists: another relay leads (we are a zombie).
                    if (!halted) {
                        failed("fenced: another relay with transactional id " + RelayConfig.transactionalId(name) + " took over", e);
                    }
                    return;
                } catch (KafkaException e) {
                    if (halted) {
                        return;
                    }
                    if (causedBy(e, ProducerFencedException.class) || causedBy(e, InvalidProducerEpochException.class)) {
                        failed("fenced: another relay with transactional id " + RelayConfig.transactionalId(name) + " took over", e);
                        return;
                    }
                    if (causedBy(e, RecordTooLargeException.class)) {
                        refuse("Kafka refused a record as too large (" + describe(e) + "). The relay sends records of up to "
                                + (maxRecordBytes + RECORD_OVERHEAD_BYTES) + " bytes (the store's limit with Kafka's overhead):"
                                + " raise the topic's max.message.bytes and the broker's message.max.bytes to at least that,"
                                + " or let the relay fix its topics (relay.topic.fix.settings=true)");
                        return;
                    }
                    failed("Kafka failed; recovering with a new producer from the last checkpoint", e);
                    sleep(config.errorBackoff());
                } finally {
                    producer.set(null);
                    kafka.close(halted ? Duration.ZERO : kafkaTimeout);
                }
            }
        }
    }

    /** Room beyond the store's largest record: ids, types, the fixed headers, Kafka's record and batch overhead. */
    private static final int RECORD_OVERHEAD_BYTES = 16 * 1024;

    /** The topics of the aggregate types that have events in the store. */
    private Set<String> eventTopics() {
        Set<String> topics = new java.util.TreeSet<>();
        for (String type : store.aggregateTypes()) {
            topics.add(topicNames.topicOf(type));
        }
        return topics;
    }

    /**
     * Where to resume: this group's checkpoint; or, for a relay whose name comes from the store and that has
     * none yet, the checkpoint an earlier version of the relay left under its default name (a bare position
     * with no store), if this store holds the event there. That earlier relay's transactional id is fenced
     * first, so that it cannot publish on beside this one.
     */
    private RelayCheckpoints.Checkpoint resumePoint(RelayCheckpoints.Contents contents) {
        RelayCheckpoints.Checkpoint own = contents.checkpoint(name);
        if (own.position() > 0 || config.configuredName().isPresent()) {
            return own;
        }
        RelayCheckpoints.Checkpoint legacy = contents.checkpoint(LEGACY_NAME);
        if (!legacy.isLegacy() || store.eventAt(legacy.position()).isEmpty()) {
            return own;
        }
        try (Producer<String, byte[]> old = newProducer(RelayConfig.transactionalId(LEGACY_NAME))) {
            old.initTransactions();
        }
        log.info("Relay {} adopts the checkpoint of relay group '{}' (an earlier version's default name): position {}",
                name, LEGACY_NAME, legacy.position());
        return legacy;
    }

    /** Stops leading and will not publish, saying why; tries again now and then (the cause may be fixed). */
    private void refuse(String why) {
        errors.incrementAndGet();
        if (!why.equals(refusal)) {
            log.error("Relay {} refuses to publish: {}", name, why);
        }
        refusal = why;
        lastError = why;
    }

    private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
        for (Throwable cause = e; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
            if (type.isInstance(cause)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Publishes batch after batch. While a full batch (a backlog) is sent and committed, the next one is
     * read from the global log on another thread: reading after the position being published returns
     * the same events as reading after it once published, since the log only grows at its end. A batch
     * read ahead belongs to this call: after a failure the relay resumes from its checkpoint, and reads
     * again.
     */
    private void publish(Producer<String, byte[]> kafka, RelayTopics topics, RelayCheckpoints checkpoints,
                         Map<String, StoreIdentity> owners, AppendNotifications appends, LeaderLock leaderLock) {
        ExecutorService reader = Executors.newSingleThreadExecutor(
                Thread.ofPlatform().daemon().name("cqrs-relay-reader-" + name).factory());
        try {
            publish(kafka, topics, checkpoints, owners, appends, leaderLock, reader);
        } finally {
            reader.shutdownNow();
        }
    }

    private void publish(Producer<String, byte[]> kafka, RelayTopics topics, RelayCheckpoints checkpoints,
                         Map<String, StoreIdentity> owners, AppendNotifications appends, LeaderLock leaderLock,
                         ExecutorService reader) {
        int maxEvents = config.getInt(RelayConfig.BATCH_MAX_EVENTS);
        long lockCheckedAt = System.nanoTime();
        Future<List<RawEvent>> readAhead = null;
        while (!stopping) {
            if (System.nanoTime() - lockCheckedAt > LOCK_CHECK_INTERVAL.toNanos()) {
                if (!leaderLock.isHeld()) {
                    failed("lost the leader lock (the database session ended)", null);
                    return;
                }
                lockCheckedAt = System.nanoTime();
                watchHoldUp();
            }
            List<RawEvent> batch;
            try {
                batch = readAhead != null ? result(readAhead) : globalLog.readAfter(publishedPosition.get(), maxEvents);
            } catch (EventStoreException e) {
                failed("cannot read the global log", e);
                sleep(config.errorBackoff());
                continue;
            } finally {
                readAhead = null;
            }
            if (batch.isEmpty()) {
                appends.await(config.pollInterval());
                continue;
            }
            long after = batch.get(batch.size() - 1).globalPosition();
            if (batch.size() == maxEvents) {
                readAhead = reader.submit(() -> globalLog.readAfter(after, maxEvents));
            }
            kafka.beginTransaction();
            for (RawEvent event : batch) {
                String topic = topicNames.topicOf(event.stream().aggregateType());
                if (!owners.containsKey(topic)) {
                    topics.ensureEventTopic(topic);
                    kafka.send(checkpoints.ownerRecord(topic, identity));
                    owners.put(topic, identity);
                } else if (!owners.get(topic).storeId().equals(identity.storeId())) {
                    throw new RelayTopics.UnsafeTopicException("topic " + topic + " is published by " + owners.get(topic).describe()
                            + "; this relay publishes " + identity.describe() + ". Two stores must not publish to one topic (their"
                            + " positions would interleave and consumers would skip events): give this store's relay a topic"
                            + " pattern of its own (relay.topic.pattern, e.g. events.{aggregateType}." + identity.schema() + ")");
                } else {
                    topics.ensureEventTopic(topic);
                }
                kafka.send(EventRecords.toRecord(topic, event));
            }
            RawEvent lastEvent = batch.get(batch.size() - 1);
            long last = lastEvent.globalPosition();
            kafka.send(checkpoints.record(name, last, lastEvent.metadata().eventId(), identity));
            if (halted) {
                return;
            }
            kafka.commitTransaction();
            publishedPosition.set(last);
            eventsPublished.addAndGet(batch.size());
            transactionsCommitted.incrementAndGet();
            lastBatchSize = batch.size();
            largestBatchSize = Math.max(largestBatchSize, batch.size());
            lastPublishedAt = Instant.now();
            rate.record(batch.size());
            log.debug("Published {} events up to global position {}", batch.size(), last);
        }
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

    /** Whether the relay's thread has ended. */
    boolean isStopped() {
        return stopped.getCount() == 0;
    }

    /**
     * Looks at what holds the global log back. An append running for longer than the warning threshold is
     * logged (once per backend) and shown in the status, with its backend's pid, so that an operator can act.
     */
    private void watchHoldUp() {
        try {
            Optional<GlobalLog.HoldUp> now = globalLog.holdUp();
            long warnAfter = config.getInt(RelayConfig.HOLDUP_WARN_MS);
            GlobalLog.HoldUp previous = heldBackBy;
            heldBackBy = now.filter(h -> h.age().toMillis() >= warnAfter).orElse(null);
            if (heldBackBy != null && (previous == null || previous.pid() != heldBackBy.pid())) {
                log.warn("Relay {}: the global log is held back by an append that has been running for {} ms: {}. Events after"
                        + " it are not published until it ends (end it with SELECT pg_terminate_backend({}))", name,
                        heldBackBy.age().toMillis(), heldBackBy.describe(), heldBackBy.pid());
            } else if (heldBackBy == null && previous != null) {
                log.info("Relay {}: the global log is no longer held back by backend {}", name, previous.pid());
            }
        } catch (RuntimeException e) {
            log.debug("Relay {}: cannot tell what holds the global log back: {}", name, e.toString());
        }
    }

    private Producer<String, byte[]> newProducer(String transactionalId) {
        Map<String, Object> props = new HashMap<>();
        props.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
        props.putAll(config.producerOverrides());
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Math.max(1 << 20, maxRecordBytes + RECORD_OVERHEAD_BYTES));
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, config.getInt(RelayConfig.TRANSACTION_TIMEOUT_MS));
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) kafkaTimeout.toMillis());
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "cqrs-relay-" + name);
        return producers.create(props);
    }

    private void failed(String what, Exception e) {
        errors.incrementAndGet();
        lastError = what + (e == null ? "" : ": " + describe(e));
        log.warn("Relay {}: {}", name, lastError);
        log.debug("Relay {} failure", name, e);
    }

    private static String describe(Throwable e) {
        StringBuilder text = new StringBuilder(String.valueOf(e.getMessage()));
        for (Throwable cause = e.getCause(); cause != null && cause != cause.getCause(); cause = cause.getCause()) {
            text.append(" (caused by ").append(cause.getClass().getSimpleName()).append(": ").append(cause.getMessage()).append(')');
        }
        return text.toString();
    }

    /** Waits, unless asked to stop. */
    private void sleep(Duration duration) {
        try {
            stopRequested.await(duration.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopping = true;
        }
    }

    /**
     * Stops gracefully: the transaction under way is committed, leadership is released so a standby
     * takes over at once. Waits up to the Kafka timeout.
     */
    @Override
    public void close() {
        stopping = true;
        stopRequested.countDown();
        awaitStop(kafkaTimeout.plus(config.pollInterval()).plusSeconds(5));
    }

    /**
     * Stops as a crash would, for fault tests: no commit, no unlock; the open transaction is left for the
     * next leader to abort, and PostgreSQL releases the lock when the session drops.
     */
    void halt() {
        halted = true;
        stopping = true;
        stopRequested.countDown();
        LeaderLock held = lock.get();
        if (held != null) {
            held.abandon();
        }
        Producer<String, byte[]> kafka = producer.get();
        if (kafka != null) {
            kafka.close(Duration.ZERO);
        }
        thread.interrupt();
        awaitStop(Duration.ofSeconds(30));
    }

    private void awaitStop(Duration timeout) {
        try {
            if (!stopped.await(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
                log.warn("Relay {} did not stop within {}", name, timeout);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Events per second over the last ten seconds. */
    static final class RateMeter {
        private final long[] counts = new long[10];
        private final long[] seconds = new long[10];

        synchronized void record(int events) {
            long second = System.nanoTime() / 1_000_000_000L;
            int slot = (int) (second % counts.length);
            if (seconds[slot] != second) {
                seconds[slot] = second;
                counts[slot] = 0;
            }
            counts[slot] += events;
        }

        synchronized double perSecond() {
            long now = System.nanoTime() / 1_000_000_000L;
            long total = 0;
            for (int i = 0; i < counts.length; i++) {
                if (now - seconds[i] < counts.length) {
                    total += counts[i];
                }
            }
            return total / (double) counts.length;
        }
    }
}
