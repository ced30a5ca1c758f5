package dev.cqrs.projector;

import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.internals.CacheFlushListener;
import org.apache.kafka.streams.state.internals.CachedStateStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Buffers a task's read-model changes and has the {@link ReadModelWriter} write them to PostgreSQL in one
 * transaction together with each partition's position: when the buffer is full, a few milliseconds after
 * a record came into an empty buffer (the timed flush, below), and always before Kafka Streams commits the
 * task's offsets, so offsets never get ahead of the read model. The writer skips what its partition's stored position says was applied before (a redelivery
 * after a crash, a paused projector's late flush, a write tried again whose first commit did happen).
 *
 * <p>"Before Kafka Streams commits" needs care: Kafka Streams (4.4) flushes and commits its state stores
 * only <em>after</em> it has committed the task's offsets (it relies on changelogs, which this store does
 * not have). What it does call before committing is {@code flushCache()} of stores that are
 * {@link CachedStateStore}s, so this store is one and writes its buffer there. Without it, a process killed
 * between a Kafka commit and the next timed flush lost the events in the buffer: their offsets were
 * committed, their rows never written (found by {@code ProjectorCrashTest}, about one run in ten).
 * {@code CachedStateStore} is an internal interface of Kafka Streams; the crash test guards the
 * behaviour when Kafka Streams is upgraded.
 *
 * <p>The stores of one projection generation whose tasks run on the same stream thread flush together:
 * a flush of any of them writes the buffers of all of them in one transaction. A projection reads six
 * partitions by default, so a task per partition flushing alone would commit (and wait for the WAL) six
 * times per flush interval for a handful of events each; together they commit once. Every task still
 * has its rows and positions written before its offsets are committed; the others' are written earlier
 * than needed, which is safe because their positions go in the same transaction. When such a joint
 * write fails, the flushing task writes its own buffer alone, as if it had no group, and the others
 * keep theirs (see {@link #flush()}): a failure is always handled by the task it belongs to.
 *
 * <p>When a batch fails in PostgreSQL, the transaction is rolled back, the batch's records are marked
 * suspect and the task fails; Kafka Streams aborts its transaction and delivers the records again, and
 * the processor then applies suspect records one at a time, sending any that still fail to the
 * dead letters (written with their position, in PostgreSQL, and copied to the dead-letter topic).
 *
 * <p>The timed flush runs on a timer thread of the generation, not on the stream thread: the stream thread
 * can then wait in poll as long as Kafka Streams likes (an idle projection does not wake 200 times a
 * second), and a record still reaches PostgreSQL within the flush interval. A record that comes into an
 * empty flush group schedules one timed flush of the group; it writes what is buffered then. Writing
 * early is always safe (positions go in the same transaction, and the writer skips what is applied). A
 * timed flush that fails leaves the buffers as they are and schedules nothing more: the stream thread's
 * next flush (at the latest before the commit) writes them again, and it is the one that handles a
 * failure (suspects, an unavailable database, a read model that went back in time), so a failure always
 * fails the task it belongs to. Every buffer and flush group of a generation is guarded by one lock, which
 * the stream threads and the timer take.
 *
 * <p>Flush groups and suspect offsets belong to one generation of one projector ({@link GenerationStores}),
 * never to the JVM: two projectors in one process keep theirs apart.
 */
final class ReadModelStore implements StateStore, CachedStateStore<Object, Object> {

    private static final Logger log = LoggerFactory.getLogger(ReadModelStore.class);

    private final String name;
    private final GenerationStores shared;
    private final String projection;
    private final int maxBatch;
    /** Guarded by the generation's lock, as is everything below. */
    private final List<ReadModelWriter.Pending> buffer = new ArrayList<>();
    private boolean open;
    /** This store's flush group; alone until a stream thread adds to it. */
    private GenerationStores.FlushGroup group;

    ReadModelStore(String name, GenerationStores shared, int maxBatch) {
        this.name = name;
        this.shared = shared;
        this.projection = shared.projection;
        this.maxBatch = maxBatch;
        this.group = GenerationStores.FlushGroup.alone(buffer);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void init(StateStoreContext context, StateStore root) {
        context.register(root, (key, value) -> {
            // no changelog: PostgreSQL holds this store's state
        });
        open();
    }

    /** Makes the store ready for a task's records: what {@link #init} does once the store is registered. */
    void open() {
        shared.lock.lock();
        try {
            buffer.clear();
            group = shared.leave(buffer, group);
            open = true;
        } finally {
            shared.lock.unlock();
        }
    }

    /** Buffers a record; a full buffer is written now, and a record in an empty group has a timed flush scheduled. */
    void add(ReadModelWriter.Pending pending) {
        shared.lock.lock();
        try {
            group = shared.join(buffer, group);
            buffer.add(pending);
            if (buffer.size() >= maxBatch || group.buffered() >= maxBatch) {
                flush();
            } else {
                shared.scheduleTimedFlush(group);
            }
        } finally {
            shared.lock.unlock();
        }
    }

    boolean isSuspect(TopicPartition partition, long offset) {
        return shared.isSuspect(partition, offset);
    }

    void clearSuspect(TopicPartition partition, long offset) {
        shared.clearSuspect(partition, offset);
    }

    /**
     * Applies one suspect record in a transaction of its own, after flushing what came before it. When its
     * statements fail, the record goes to the dead letters instead, with its position, in a transaction of
     * its own: nothing is lost if Kafka's transaction then aborts.
     *
     * @param failure the dead letter of the record, given the error of its statements
     * @return the error of its statements, when it was dead-lettered
     */
    Optional<SQLException> applyAlone(ReadModelWriter.Pending pending, Function<SQLException, ReadModelWriter.Failure> failure) {
        shared.lock.lock();
        try {
            flush();
            try {
                write(List.of(pending));
                return Optional.empty();
            } catch (SQLException e) {
                if (isUnavailable(e)) {
                    throw unavailable(e);
                }
                try {
                    write(List.of(pending.asDeadLetter(failure.apply(e))));
                } catch (SQLException deadLetterFailed) {
                    throw unavailable(deadLetterFailed);
                }
                return Optional.of(e);
            }
        } finally {
            shared.lock.unlock();
        }
    }

    /**
     * A failure of the database rather than of the statements: the connection broke, the server is
     * restarting, no connection could be had, or the transaction lost a race it may win next time (a
     * deadlock, a serialization failure). Nothing is suspect then; the task fails and the records are
     * delivered again.
     */
    static boolean isUnavailable(SQLException e) {
        String state = e.getSQLState();
        return e instanceof SQLTransientConnectionException || e instanceof SQLNonTransientConnectionException
                || state == null || state.startsWith("08") || state.startsWith("57P") || state.equals("53300")
                || state.equals("40001") || state.equals("40P01") || state.equals("55P03");
    }

    private StreamsException unavailable(SQLException e) {
        buffer.clear();
        return new StreamsException("projection " + projection + ": the read-model database is unavailable ("
                + e.getMessage() + "); the events will be delivered again", e);
    }

    /**
     * Writes the buffers of this store and of the others in its flush group, in one transaction. If that
     * fails, this store's buffer is written alone, and only this store's failure is reported (it fails
     * this task): the others keep their buffers, so whether Kafka Streams then redelivers their records
     * or not, none is lost; their own flushes write them, or fail their own tasks. Writing a buffer again
     * is safe whatever happened to the first attempt: the writer skips what is applied. A timed flush of
     * the group that failed is handled here: its records are among those written now.
     */
    @Override
    public void flush() {
        shared.lock.lock();
        try {
            group.failed = false;
            flushGroup();
        } finally {
            shared.lock.unlock();
        }
    }

    private void flushGroup() {
        List<List<ReadModelWriter.Pending>> batch = new ArrayList<>();
        for (List<ReadModelWriter.Pending> buffered : group.buffers) { // this store's buffer is always in its group
            if (!buffered.isEmpty()) {
                batch.add(buffered);
            }
        }
        if (batch.size() > 1 || (batch.size() == 1 && batch.getFirst() != buffer)) {
            List<ReadModelWriter.Pending> all = new ArrayList<>();
            batch.forEach(all::addAll);
            try {
                write(all);
                batch.forEach(List::clear);
                return;
            } catch (SQLException e) {
                log.debug("Projection {}: a flush of {} tasks together failed ({}); flushing this task alone",
                        projection, batch.size(), e.getMessage());
            }
        }
        flushAlone();
    }

    /** Writes this store's buffer in a transaction of its own. */
    private void flushAlone() {
        if (buffer.isEmpty()) {
            return;
        }
        try {
            write(buffer);
            buffer.clear();
        } catch (SQLException e) {
            if (isUnavailable(e)) {
                log.warn("Projection {}: the read-model database is unavailable ({}); the batch will be delivered again",
                        projection, e.getMessage());
                throw unavailable(e);
            }
            shared.suspect(buffer);
            int size = buffer.size();
            buffer.clear();
            log.warn("Projection {}: a batch of {} events failed in PostgreSQL ({}); it will be redelivered and applied one"
                    + " event at a time", projection, size, e.getMessage());
            throw new StreamsException("projection " + projection + ": writing " + size + " events failed: " + e.getMessage(), e);
        }
    }

    private void write(List<ReadModelWriter.Pending> records) throws SQLException {
        Map<TopicPartition, ReadModelWriter.Written> written;
        try {
            written = shared.write(records);
        } catch (ReadModelWriter.WentBack e) {
            // Not this batch's fault, and no retry of it can help: the partitions must resume from the read model.
            log.warn("{}", e.getMessage());
            buffer.clear();
            throw new StreamsException(e.getMessage(), e);
        }
        if (log.isDebugEnabled()) {
            log.debug("Projection {}: wrote {} records from {}: {}", projection, records.size(), name, written);
        }
    }

    @Override
    public void commit(Map<TopicPartition, Long> changelogOffsets) {
        flush();
    }

    /** Called by Kafka Streams before it commits the task's offsets: the buffer goes to PostgreSQL now. */
    @Override
    public void flushCache() {
        flush();
    }

    /** Called when the task is closed without a commit: the buffered events will be delivered again. */
    @Override
    public void clearCache() {
        shared.lock.lock();
        try {
            buffer.clear();
        } finally {
            shared.lock.unlock();
        }
    }

    @Override
    public boolean setFlushListener(CacheFlushListener<Object, Object> listener, boolean sendOldValues) {
        return false;
    }

    @Override
    public void close() {
        shared.lock.lock();
        try {
            buffer.clear();
            group = shared.leave(buffer, group);
            open = false;
        } finally {
            shared.lock.unlock();
        }
    }

    @Override
    public boolean persistent() {
        return false;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    /** Builds one store per task of a generation; the store keeps no changelog: PostgreSQL is its durable state. */
    static final class Builder implements StoreBuilder<ReadModelStore> {
        private final String name;
        private final GenerationStores shared;
        private final int maxBatch;

        Builder(Generation generation, ReadModelDatabase database, int maxBatch, Duration flushInterval, ProjectionMetrics metrics) {
            this.name = generation.storeName();
            this.shared = new GenerationStores(database, generation, metrics, flushInterval);
            this.maxBatch = maxBatch;
        }

        @Override
        public StoreBuilder<ReadModelStore> withCachingEnabled() {
            return this;
        }

        @Override
        public StoreBuilder<ReadModelStore> withCachingDisabled() {
            return this;
        }

        @Override
        public StoreBuilder<ReadModelStore> withLoggingEnabled(Map<String, String> config) {
            return this;
        }

        @Override
        public StoreBuilder<ReadModelStore> withLoggingDisabled() {
            return this;
        }

        /** What this generation's stores share (its writer, which {@link ReadModelResume} tells where partitions resume). */
        GenerationStores shared() {
            return shared;
        }

        @Override
        public ReadModelStore build() {
            return new ReadModelStore(name, shared, maxBatch);
        }

        @Override
        public Map<String, String> logConfig() {
            return Map.of();
        }

        @Override
        public boolean loggingEnabled() {
            return false;
        }

        @Override
        public String name() {
            return name;
        }
    }
}
