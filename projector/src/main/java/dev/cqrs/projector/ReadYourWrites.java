package dev.cqrs.projector;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.apache.kafka.common.TopicPartition;
import org.postgresql.PGConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Waits until a PostgreSQL projection's active generation reflects every event up to a global
 * position: what a query needs to see its client's own writes. Usable in any process that can reach
 * the read-model database and Kafka, whether or not it runs the projection.
 *
 * <p>The projection has reached position P when, for every partition of its topics, it applied an event
 * at P or later, or it has consumed everything the partition holds now. The second check is only
 * needed, and only valid, once P is published; it is, when any partition delivered an event at or after
 * P, because the relay publishes in position order. Even then, P's own record may still be invisible on
 * its partition: a Kafka transaction's commit markers reach its partitions one by one (on a cluster,
 * through different leaders). So a partition only counts as consumed when no transaction is pending on
 * it: its last stable offset has reached the high watermark read before it, and the group has committed
 * past that. Flushes NOTIFY, so a waiter wakes within milliseconds; it also polls, in case a notification
 * is lost.
 *
 * <p>A wait ends {@link Outcome#REACHED}, {@link Outcome#DEAD_LETTERED} (the projection passed P, but set
 * the append at P aside as a dead letter: its rows were never written) or {@link Outcome#TIMED_OUT}.
 */
public final class ReadYourWrites implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ReadYourWrites.class);
    private static final long POLL_MILLIS = 50;

    private final ReadModelDatabase database;
    private final KafkaOffsets kafka;
    private final boolean owned;
    private final String prefix;
    private final Map<String, List<String>> topicsByProjection;
    private final Object signal = new Object();
    private final Thread listener;
    private volatile boolean closed;

    ReadYourWrites(ReadModelDatabase database, KafkaOffsets kafka, String prefix, Map<String, List<String>> topicsByProjection) {
        this(database, kafka, prefix, topicsByProjection, false);
    }

    private ReadYourWrites(ReadModelDatabase database, KafkaOffsets kafka, String prefix,
                           Map<String, List<String>> topicsByProjection, boolean owned) {
        this.database = database;
        this.kafka = kafka;
        this.owned = owned;
        this.prefix = prefix;
        this.topicsByProjection = Map.copyOf(topicsByProjection);
        this.listener = Thread.ofPlatform().daemon().name("cqrs-read-your-writes").start(this::listen);
    }

    /**
     * For a process that serves queries without running the projections (an API-only role): connects to
     * the read-model database and Kafka named by {@code config}. Close it when done.
     */
    public static ReadYourWrites connect(ProjectorConfig config, List<PostgresProjection<?>> projections) {
        ReadModelDatabase database = ReadModelDatabase.of(config, 4);
        Map<String, List<String>> topics = new LinkedHashMap<>();
        projections.forEach(p -> topics.put(p.name(), p.topics()));
        return new ReadYourWrites(database, new KafkaOffsets(config.bootstrapServers()), config.prefix(), topics, true);
    }

    /** How a wait for a position ended. */
    public enum Outcome {
        /** The read model reflects every event up to the position. */
        REACHED,
        /**
         * The projection moved past the position, but the events of the append at the position went to the
         * dead letters: what they would have written is not in the read model.
         */
        DEAD_LETTERED,
        /** The read model did not reach the position in time. */
        TIMED_OUT
    }

    /**
     * Waits until {@code projection} has reached {@code position}, or {@code timeout} passes.
     *
     * @return whether it has reached it: {@link #await} gave {@link Outcome#REACHED}
     */
    public boolean awaitPosition(String projection, long position, Duration timeout) {
        return await(projection, position, timeout) == Outcome.REACHED;
    }

    /**
     * Waits until {@code projection} has passed {@code position}, or {@code timeout} passes, and says how it
     * ended: reached, dead-lettered (the append at {@code position} was set aside), or timed out.
     */
    public Outcome await(String projection, long position, Duration timeout) {
        List<String> topics = topicsByProjection.get(projection);
        if (topics == null) {
            throw new IllegalArgumentException("no PostgreSQL projection named '" + projection + "'");
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                OptionalInt generation = passedIn(projection, topics, position);
                if (generation.isPresent()) {
                    return database.isDeadLettered(new Generation(projection, generation.getAsInt()), position) ? Outcome.DEAD_LETTERED
                            : Outcome.REACHED;
                }
            } catch (RuntimeException e) {
                // Kafka or the database does not answer: not reached yet, as far as anyone can tell.
                log.debug("Cannot tell whether {} reached position {}: {}", projection, position, e.toString());
            }
            long remaining = (deadline - System.nanoTime()) / 1_000_000;
            if (remaining <= 0) {
                return Outcome.TIMED_OUT;
            }
            synchronized (signal) {
                try {
                    signal.wait(Math.min(remaining, POLL_MILLIS));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return Outcome.TIMED_OUT;
                }
            }
        }
    }

    /** A projection's active generation and its partitions' positions, as read after a given notification. */
    private record Snapshot(int generation, Map<TopicPartition, ReadModelDatabase.Applied> applied, long notification,
                            long readAtNanos) {
    }

    /** Notifications received so far: a snapshot read before the latest one is stale. */
    private final java.util.concurrent.atomic.AtomicLong notifications = new java.util.concurrent.atomic.AtomicLong();
    private final Map<String, Snapshot> snapshots = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * The projection's positions, read at most once per notification (and per poll interval) however many
     * queries are waiting: waiters share the read.
     */
    private Snapshot snapshot(String projection) {
        Snapshot known = snapshots.get(projection);
        if (isFresh(known)) {
            return known;
        }
        synchronized (snapshots) {
            known = snapshots.get(projection);
            if (isFresh(known)) {
                return known;
            }
            long notification = notifications.get();
            int generation = database.activeGeneration(projection).orElse(0);
            Map<TopicPartition, ReadModelDatabase.Applied> applied = generation == 0 ? Map.of()
                    : database.applied(new Generation(projection, generation));
            Snapshot fresh = new Snapshot(generation, applied, notification, System.nanoTime());
            snapshots.put(projection, fresh);
            return fresh;
        }
    }

    private boolean isFresh(Snapshot snapshot) {
        return snapshot != null && snapshot.notification() == notifications.get()
                && System.nanoTime() - snapshot.readAtNanos() < POLL_MILLIS * 1_000_000;
    }

    /** The active generation, when it has passed {@code position} on every partition of {@code topics}. */
    OptionalInt passedIn(String projection, List<String> topics, long position) {
        Snapshot snapshot = snapshot(projection);
        int generation = snapshot.generation();
        return generation != 0 && hasPassed(projection, generation, snapshot, topics, position) ? OptionalInt.of(generation)
                : OptionalInt.empty();
    }

    private boolean hasPassed(String projection, int generation, Snapshot snapshot, List<String> topics, long position) {
        Map<TopicPartition, ReadModelDatabase.Applied> applied = snapshot.applied();
        List<TopicPartition> partitions = kafka.partitionsOf(topics);
        long highest = applied.values().stream().mapToLong(ReadModelDatabase.Applied::position).max().orElse(0);
        List<TopicPartition> behind = partitions.stream()
                .filter(p -> !applied.containsKey(p) || applied.get(p).position() < position).toList();
        if (behind.isEmpty()) {
            return true;
        }
        if (highest < position) {
            return false;
        }
        return kafka.allConsumed(new Generation(projection, generation).applicationId(prefix), behind);
    }

    private void listen() {
        while (!closed) {
            try (Connection connection = database.openSession(); Statement statement = connection.createStatement()) {
                statement.execute("LISTEN " + ReadModelDatabase.CHANNEL);
                PGConnection pg = connection.unwrap(PGConnection.class);
                while (!closed) {
                    var notifications = pg.getNotifications(500);
                    if (notifications != null && notifications.length > 0) {
                        this.notifications.incrementAndGet();
                        synchronized (signal) {
                            signal.notifyAll();
                        }
                    }
                }
            } catch (SQLException e) {
                if (!closed) {
                    log.debug("Read-your-writes listener lost its connection ({}); reconnecting", e.getMessage());
                    try {
                        Thread.sleep(1_000);
                    } catch (InterruptedException interrupted) {
                        return;
                    }
                }
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        listener.interrupt();
        if (owned) {
            kafka.close();
            database.close();
        }
    }
}
