package dev.cqrs.projector;

import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the read-model stores ({@code ReadModelStore}) of one generation in one projector share: the writer, the flush groups
 * (the stores whose tasks run on one stream thread, which flush together), the suspect offsets of failed
 * batches, the lock over all their buffers, and the timer of their timed flushes. One per generation and
 * projector, never per JVM: two projectors in one process keep theirs apart.
 */
final class GenerationStores {

    private static final Logger log = LoggerFactory.getLogger(GenerationStores.class);

    /**
     * The buffers of the stores whose tasks run on one stream thread, which flush together (guarded by the
     * generation's lock). A buffer is a store's list of pending records, known here by identity.
     */
    static final class FlushGroup {
        final List<List<ReadModelWriter.Pending>> buffers = new ArrayList<>();
        /** The stream thread that feeds the group, or -1 for a store alone. */
        private final long thread;
        /** A timed flush of the group is scheduled. */
        boolean due;
        /** The last timed flush failed: none is scheduled until the stream thread has flushed. */
        boolean failed;

        private FlushGroup(long thread) {
            this.thread = thread;
        }

        /** The group of a store that no stream thread has fed yet: its buffer alone. */
        static FlushGroup alone(List<ReadModelWriter.Pending> buffer) {
            FlushGroup alone = new FlushGroup(-1);
            alone.buffers.add(buffer);
            return alone;
        }

        /** What the group's stores buffer, in records. */
        int buffered() {
            int buffered = 0;
            for (List<ReadModelWriter.Pending> buffer : buffers) {
                buffered += buffer.size();
            }
            return buffered;
        }

        private void add(List<ReadModelWriter.Pending> buffer) {
            if (buffers.stream().noneMatch(b -> b == buffer)) {
                buffers.add(buffer);
            }
        }

        private void remove(List<ReadModelWriter.Pending> buffer) {
            buffers.removeIf(b -> b == buffer);
        }
    }

    final String projection;
    /** Guards every buffer and flush group of the generation; the stream threads and the timer take it. */
    final ReentrantLock lock = new ReentrantLock();
    private final ReadModelWriter writer;
    /** Records of failed batches, by partition: the highest offset that is suspect. */
    private final Map<TopicPartition, Long> suspects = new ConcurrentHashMap<>();
    /** The stores that flush together, by the stream thread that feeds them (guarded by {@link #lock}). */
    private final Map<Long, FlushGroup> flushGroups = new HashMap<>();
    private final ProjectionMetrics metrics;
    private final Duration flushInterval;
    /** One thread, started when a flush is scheduled and ended after a second without one. */
    private final ScheduledThreadPoolExecutor timer;

    GenerationStores(ReadModelDatabase database, Generation generation, ProjectionMetrics metrics, Duration flushInterval) {
        this.writer = new ReadModelWriter(database, generation);
        this.projection = generation.projection();
        this.metrics = metrics;
        this.flushInterval = flushInterval;
        this.timer = new ScheduledThreadPoolExecutor(1,
                r -> Thread.ofPlatform().daemon().name("cqrs-flush-" + generation.schema()).unstarted(r));
        timer.setKeepAliveTime(1, TimeUnit.SECONDS);
        timer.allowCoreThreadTimeOut(true);
    }

    /** The writer of this generation's stores, which {@link ReadModelResume} tells where partitions resume. */
    ReadModelWriter writer() {
        return writer;
    }

    /**
     * The flush group of the stream thread that processes a store's task now (a task may be initialised on
     * another thread than the one that runs it), with the store's {@code buffer} in it; the caller holds
     * the lock.
     */
    FlushGroup join(List<ReadModelWriter.Pending> buffer, FlushGroup current) {
        long thread = Thread.currentThread().threadId();
        if (current.thread == thread) {
            return current;
        }
        leave(buffer, current);
        FlushGroup group = flushGroups.computeIfAbsent(thread, FlushGroup::new);
        group.add(buffer);
        return group;
    }

    /** Takes a store's {@code buffer} out of its flush group; it is alone afterwards. The caller holds the lock. */
    FlushGroup leave(List<ReadModelWriter.Pending> buffer, FlushGroup current) {
        if (current.thread >= 0) {
            current.remove(buffer);
            flushGroups.computeIfPresent(current.thread, (k, g) -> g.buffers.isEmpty() ? null : g);
        }
        return FlushGroup.alone(buffer);
    }

    /** Schedules one timed flush of the group, unless one is due or the last one failed; the caller holds the lock. */
    void scheduleTimedFlush(FlushGroup group) {
        if (!group.due && !group.failed) {
            group.due = true;
            timer.schedule(() -> timedFlush(group), flushInterval.toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    /** Writes records (and counts those found applied already); failures are the caller's to handle. */
    Map<TopicPartition, ReadModelWriter.Written> write(List<ReadModelWriter.Pending> records) throws SQLException {
        Map<TopicPartition, ReadModelWriter.Written> written = writer.write(records);
        long skipped = 0;
        for (ReadModelWriter.Written w : written.values()) {
            skipped += w.skipped;
        }
        if (skipped > 0) {
            metrics.skipped(skipped);
        }
        return written;
    }

    /** Marks the records of a batch that failed in PostgreSQL: their redelivery is applied one at a time. */
    void suspect(List<ReadModelWriter.Pending> batch) {
        for (ReadModelWriter.Pending pending : batch) {
            suspects.merge(pending.partition(), pending.offset(), Math::max);
        }
    }

    boolean isSuspect(TopicPartition partition, long offset) {
        Long upTo = suspects.get(partition);
        return upTo != null && offset <= upTo;
    }

    void clearSuspect(TopicPartition partition, long offset) {
        suspects.computeIfPresent(partition, (p, upTo) -> offset >= upTo ? null : upTo);
    }

    /** The timed flush of a group: what its stores buffer now, in one transaction; on failure, nothing changes. */
    private void timedFlush(FlushGroup group) {
        lock.lock();
        try {
            group.due = false;
            List<ReadModelWriter.Pending> all = new ArrayList<>();
            group.buffers.forEach(all::addAll);
            if (all.isEmpty()) {
                return;
            }
            try {
                write(all);
                group.buffers.forEach(List::clear);
            } catch (SQLException | RuntimeException e) {
                group.failed = true;
                log.debug("Projection {}: a timed flush of {} records failed ({}); the stream thread writes them", projection,
                        all.size(), e.toString());
            }
        } finally {
            lock.unlock();
        }
    }
}
