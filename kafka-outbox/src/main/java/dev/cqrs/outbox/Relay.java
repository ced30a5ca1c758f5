package dev.cqrs.outbox;

import dev.cqrs.postgres.AppendNotifications;
import dev.cqrs.postgres.PostgresEventStore;
import dev.cqrs.postgres.StoreIdentity;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.Producer;
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
 *
 * <p>This class is the facade: it takes the leader lock and keeps its thread; {@link ProducerSession} is one
 * producer's life (fence, abort, checkpoint, the publishing loop), {@link RelayProducers} makes the producers,
 * {@link RelayMetrics} keeps what the status shows.
 */
public final class Relay implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Relay.class);

    private final PostgresEventStore store;
    private final RelayConfig config;
    private final String bootstrapServers;
    /** The relay group's name: configured, or from the store's identity. */
    private final String name;
    private final long lockKey;
    private final Duration kafkaTimeout;
    private final RelayProducers producers;
    private final RelayMetrics metrics;
    private final StopSignal stop = new StopSignal();
    private final ProducerSession.Group group;
    private final Thread thread;
    private final CountDownLatch stopped = new CountDownLatch(1);

    /** Set by {@link #halt()} only: a crash neither reports what it breaks nor releases its lock. */
    private volatile boolean halted;
    private volatile RelayStatus.Role role = RelayStatus.Role.STANDBY;
    private final AtomicReference<Producer<String, byte[]>> producer = new AtomicReference<>();
    private final AtomicReference<LeaderLock> lock = new AtomicReference<>();

    /** Makes the relay's transactional producers: Kafka's, or (in fault tests) a decorator of Kafka's. */
    interface Producers extends RelayProducers.Factory {
        Producers KAFKA = RelayProducers::kafka;
    }

    private Relay(PostgresEventStore store, RelayConfig config, Producers factory) {
        this.store = store;
        this.config = config;
        this.bootstrapServers = String.join(",", config.getList(RelayConfig.BOOTSTRAP_SERVERS));
        StoreIdentity identity = store.identity();
        this.name = config.configuredName().orElse("store-" + identity.shortId());
        this.lockKey = LeaderLock.keyOf(store.schema(), name);
        this.kafkaTimeout = Duration.ofMillis(config.getInt(RelayConfig.KAFKA_TIMEOUT_MS));
        this.producers = new RelayProducers(factory, config, name, store.maxRecordBytes());
        this.metrics = new RelayMetrics(name);
        this.group = new ProducerSession.Group(name, store, config, identity, producers, metrics, stop);
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
        return metrics.status(role);
    }

    /** The relay group's name: the one configured, or {@code store-<id>} from the store's identity. */
    public String name() {
        return name;
    }

    /** Events committed to the store and not yet published (a count; queries the database). */
    public long lagEvents() {
        return store.globalLog().countAfter(metrics.publishedPosition());
    }

    /** Stands by until it holds the lock, leads while it does; again, until stopped. */
    private void run() {
        try {
            while (!stop.requested()) {
                if (metrics.refusing()) {
                    stop.sleep(Duration.ofMillis(config.getLong(RelayConfig.REFUSED_RETRY_MS)));
                    if (stop.requested()) {
                        break;
                    }
                }
                Optional<LeaderLock> acquired = tryLead();
                if (acquired.isEmpty()) {
                    stop.sleep(config.standbyRetry());
                    continue;
                }
                lead(acquired.get());
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
            metrics.failed("cannot reach PostgreSQL to take the leader lock", e);
            stop.sleep(config.errorBackoff());
            return Optional.empty();
        }
    }

    /** Leads while this relay holds {@code leaderLock}, then releases it. */
    private void lead(LeaderLock leaderLock) {
        lock.set(leaderLock);
        role = RelayStatus.Role.LEADER;
        log.info("Relay {} is the leader; publishing to Kafka at {}", name, bootstrapServers);
        try {
            publishWhileLeading(leaderLock);
        } catch (RuntimeException e) {
            if (!halted) {
                metrics.failed("unexpected failure while leading; standing down and trying again", e);
                stop.sleep(config.errorBackoff());
            }
        } finally {
            role = stop.requested() ? RelayStatus.Role.STOPPED : RelayStatus.Role.STANDBY;
            if (!halted) {
                leaderLock.close();
            }
            lock.set(null);
            log.info("Relay {} stopped leading at position {}", name, metrics.publishedPosition());
        }
    }

    /** One producer after another, each from the checkpoint, until one's life ends in anything but a Kafka failure. */
    private void publishWhileLeading(LeaderLock leaderLock) {
        try (RelayTopics topics = new RelayTopics(bootstrapServers, config.getInt(RelayConfig.TOPIC_PARTITIONS),
                config.getShort(RelayConfig.TOPIC_REPLICATION_FACTOR), kafkaTimeout, producers.maxRecordBytes(),
                config.getBoolean(RelayConfig.TOPIC_FIX_SETTINGS));
             AppendNotifications appends = store.listenForAppends()) {
            RelayCheckpoints checkpoints = new RelayCheckpoints(config.getString(RelayConfig.CHECKPOINT_TOPIC),
                    bootstrapServers, kafkaTimeout);
            while (!stop.requested() && leaderLock.isHeld()) {
                Producer<String, byte[]> kafka = producers.create();
                producer.set(kafka);
                ProducerSession.Ending ending = null;
                try {
                    ending = new ProducerSession(group, kafka, topics, checkpoints, appends, leaderLock).run();
                } finally {
                    producer.set(null);
                    // Only a session that stood down ended its transaction; any other's must not commit, so
                    // there is nothing to wait for (waiting held a refused relay up for the whole Kafka timeout).
                    kafka.close(ending instanceof ProducerSession.Ending.StoodDown ? kafkaTimeout : Duration.ZERO);
                }
                if (halted) {
                    return;
                }
                switch (ending) {
                    case ProducerSession.Ending.StoodDown stoodDown -> {
                        return;
                    }
                    case ProducerSession.Ending.Refused refused -> {
                        metrics.refused(refused.why());
                        return;
                    }
                    case ProducerSession.Ending.Fenced fenced -> {
                        // A newer producer with our transactional id exists: another relay leads (we are a zombie).
                        metrics.failed("fenced: another relay with transactional id " + RelayConfig.transactionalId(name)
                                + " took over", fenced.cause());
                        return;
                    }
                    case ProducerSession.Ending.KafkaFailed failed -> {
                        metrics.failed("Kafka failed; recovering with a new producer from the last checkpoint", failed.cause());
                        stop.sleep(config.errorBackoff());
                    }
                }
            }
        }
    }

    /** Whether the relay's thread has ended. */
    boolean isStopped() {
        return stopped.getCount() == 0;
    }

    /**
     * Stops gracefully: the transaction under way is committed, leadership is released so a standby
     * takes over at once. Waits up to the Kafka timeout.
     */
    @Override
    public void close() {
        stop.request();
        awaitStop(kafkaTimeout.plus(config.pollInterval()).plusSeconds(5));
    }

    /**
     * Stops as a crash would, for fault tests: no commit, no unlock; the open transaction is left for the
     * next leader to abort, and PostgreSQL releases the lock when the session drops. The producer is closed at
     * once, so a transaction under way cannot commit.
     */
    void halt() {
        halted = true;
        stop.request();
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
            if (!stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn("Relay {} did not stop within {}", name, timeout);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
