package dev.cqrs.projector;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps each PostgreSQL projection's generations running as the registry says: the active one, a
 * generation being rebuilt, none that retired. A housekeeping thread looks every 250 ms (every projector
 * process does; Kafka Streams shares the partitions among them), follows a rebuild's progress and switches
 * readers to the rebuilt generation once it has caught up with the serving one.
 */
final class Generations implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Generations.class);
    private static final Duration HOUSEKEEPING = Duration.ofMillis(250);
    /**
     * A rebuilt generation tries to take over once it is at most this many records behind the serving one;
     * it takes over only when it has applied everything the serving one has (see ReadModelDatabase.activate).
     */
    private static final long SWITCH_SLACK = 100;
    /** How long a switch may hold the serving generation's writes while the new one catches up. */
    private static final Duration SWITCH_PATIENCE = Duration.ofSeconds(2);

    /** How much of a rebuild was consumed at an instant: two of them give its speed. */
    private record Sample(long atNanos, long consumed) {
        double recordsPerSecondSince(Sample earlier) {
            return atNanos == earlier.atNanos ? 0 : (consumed - earlier.consumed) * 1e9 / (atNanos - earlier.atNanos);
        }
    }

    private final String prefix;
    private final Map<String, PostgresProjection<?>> projections;
    private final ReadModelDatabase database;
    private final KafkaOffsets kafka;
    private final StreamApplications applications;
    private final Map<String, RebuildProgress> rebuilds = new ConcurrentHashMap<>();
    private final Map<String, Sample> lastSample = new ConcurrentHashMap<>();
    private final Thread housekeeping;
    private volatile boolean closed;

    Generations(String prefix, Map<String, PostgresProjection<?>> projections, ReadModelDatabase database, KafkaOffsets kafka,
                StreamApplications applications) {
        this.prefix = prefix;
        this.projections = projections;
        this.database = database;
        this.kafka = kafka;
        this.applications = applications;
        this.housekeeping = Thread.ofPlatform().daemon().name("cqrs-projector-housekeeping").unstarted(this::keepHouse);
    }

    /** Gives each projection its first generation if it has none, starts what should run, and keeps house from now on. */
    void start() {
        for (PostgresProjection<?> projection : projections.values()) {
            database.ensureFirstGeneration(projection);
        }
        keepHouseOnce();
        housekeeping.start();
    }

    /** The generation that serves a projection's readers, when it has one. */
    Optional<Integer> active(String projection) {
        return database.activeGeneration(projection);
    }

    private void keepHouse() {
        while (!closed) {
            try {
                Thread.sleep(HOUSEKEEPING);
                keepHouseOnce();
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                log.warn("Projector housekeeping failed: {}", e.toString());
            }
        }
    }

    private synchronized void keepHouseOnce() {
        if (closed) {
            return;
        }
        for (PostgresProjection<?> projection : projections.values()) {
            List<ReadModelDatabase.Registered> registered = database.generations(projection.name());
            for (ReadModelDatabase.Registered g : registered) {
                Generation generation = new Generation(projection.name(), g.number());
                String applicationId = generation.applicationId(prefix);
                boolean isRunning = applications.isRunning(applicationId);
                if (g.state() != ReadModelDatabase.GenerationState.RETIRED && !isRunning) {
                    applications.startPostgres(projection, generation, database);
                } else if (g.state() == ReadModelDatabase.GenerationState.RETIRED && isRunning) {
                    applications.stop(applicationId);
                }
                if (g.state() == ReadModelDatabase.GenerationState.BUILDING) {
                    watchRebuild(projection, generation, registered);
                }
            }
        }
    }

    private void watchRebuild(PostgresProjection<?> projection, Generation building, List<ReadModelDatabase.Registered> registered) {
        List<TopicPartition> partitions = kafka.partitionsOf(projection.topics());
        Map<TopicPartition, Long> ends = kafka.endOffsets(partitions);
        Map<TopicPartition, Long> consumed = kafka.committed(building.applicationId(prefix), partitions);
        long total = ends.values().stream().mapToLong(Long::longValue).sum();
        long done = 0;
        long behind = 0;
        for (TopicPartition p : partitions) {
            long end = ends.getOrDefault(p, 0L);
            long at = Math.min(end, consumed.getOrDefault(p, 0L));
            done += at;
            behind += end - at;
        }
        Sample now = new Sample(System.nanoTime(), done);
        Sample previous = lastSample.put(projection.name(), now);
        double rate = previous == null ? 0 : now.recordsPerSecondSince(previous);
        Optional<Duration> remaining = rate > 0 ? Optional.of(Duration.ofMillis((long) (behind / rate * 1000))) : Optional.empty();
        rebuilds.put(projection.name(), new RebuildProgress(projection.name(), building.number(), false, done, total, rate, remaining));
        Optional<Integer> active = registered.stream().filter(g -> g.state() == ReadModelDatabase.GenerationState.ACTIVE)
                .map(ReadModelDatabase.Registered::number).findFirst();
        long activeBehind = active.map(g -> kafka.lag(new Generation(projection.name(), g).applicationId(prefix), partitions)).orElse(0L);
        if (behind <= activeBehind + SWITCH_SLACK && database.activate(projection, building.number(), active, SWITCH_PATIENCE)) {
            rebuilds.put(projection.name(), new RebuildProgress(projection.name(), building.number(), true, done, total, rate,
                    Optional.of(Duration.ZERO)));
            active.ifPresent(g -> applications.stop(new Generation(projection.name(), g).applicationId(prefix)));
        }
    }

    /** Starts a rebuild (a new generation), or goes on with the one under way; returns at once. */
    synchronized RebuildProgress rebuild(PostgresProjection<?> projection) {
        Optional<ReadModelDatabase.Registered> building = database.generations(projection.name()).stream()
                .filter(g -> g.state() == ReadModelDatabase.GenerationState.BUILDING).findFirst();
        int generation = building.map(ReadModelDatabase.Registered::number).orElseGet(() -> database.createGeneration(projection));
        RebuildProgress started = new RebuildProgress(projection.name(), generation, false, 0, 0, 0, Optional.empty());
        rebuilds.put(projection.name(), started);
        keepHouseOnce();
        return rebuilds.getOrDefault(projection.name(), started);
    }

    Optional<RebuildProgress> rebuildProgress(String projection) {
        return Optional.ofNullable(rebuilds.get(projection));
    }

    /** Stops keeping house; once this returns, no generation is started or stopped by it any more. */
    @Override
    public void close() {
        closed = true;
        housekeeping.interrupt();
        synchronized (this) {
            // waits out a round of housekeeping under way
        }
    }
}
