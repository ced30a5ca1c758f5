package dev.cqrs.projector;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
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
 * Buffers a task's read-model changes and writes them to PostgreSQL in one transaction together with
 * each partition's last position: when the buffer is full, every few milliseconds, and always before
 * Kafka Streams commits the task's offsets, so offsets never get ahead of the read model. An event whose
 * position is not above its partition's stored position was applied before (a redelivery after a crash)
 * and is skipped.
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
 * dead-letter topic.
 */
final class ReadModelStore implements StateStore, CachedStateStore<Object, Object> {

    private static final Logger log = LoggerFactory.getLogger(ReadModelStore.class);

    /** Records of failed batches, by store, by partition: the highest offset that is suspect. */
    private static final Map<String, Map<TopicPartition, Long>> SUSPECTS = new ConcurrentHashMap<>();

    /** The stores that flush together: by store name and the stream thread that feeds them. */
    private static final Map<String, Set<ReadModelStore>> FLUSH_GROUPS = new ConcurrentHashMap<>();

    /** A decoded, handled record waiting to be written. */
    record Pending(TopicPartition partition, long offset, long position, List<SqlBatch.Statement> statements) {
    }

    private final String name;
    private final String projection;
    private final int generation;
    private final String schema;
    private final ReadModelDatabase database;
    private final int maxBatch;
    private final List<Pending> buffer = new ArrayList<>();
    private final Map<TopicPartition, ReadModelDatabase.Applied> applied = new HashMap<>();
    private boolean open;
    /** The key of the flush group this store is in: its name and the thread that last added to it. */
    private String groupKey;
    private Set<ReadModelStore> group = Set.of(this);

    ReadModelStore(String name, String projection, int generation, ReadModelDatabase database, int maxBatch) {
        this.name = name;
        this.projection = projection;
        this.generation = generation;
        this.schema = ReadModelDatabase.schemaOf(projection, generation);
        this.database = database;
        this.maxBatch = maxBatch;
    }

    static String storeName(String projection, int generation) {
        return projection + "-g" + generation + "-read-model";
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
        applied.clear();
        applied.putAll(database.applied(projection, generation));
        buffer.clear();
        leaveGroup();
        open = true;
    }

    void add(Pending pending) {
        joinGroupOfThisThread();
        buffer.add(pending);
        if (buffer.size() >= maxBatch || groupBuffered() >= maxBatch) {
            flush();
        }
    }

    /**
     * Puts this store in the flush group of the stream thread that processes its task (the one calling
     * now: a task may be initialised on another thread than the one that runs it).
     */
    private void joinGroupOfThisThread() {
        String key = name + "@" + Thread.currentThread().threadId();
        if (key.equals(groupKey)) {
            return;
        }
        leaveGroup();
        groupKey = key;
        group = FLUSH_GROUPS.computeIfAbsent(key, k -> ConcurrentHashMap.newKeySet());
        group.add(this);
    }

    private void leaveGroup() {
        if (groupKey != null) {
            group.remove(this);
            FLUSH_GROUPS.computeIfPresent(groupKey, (k, stores) -> stores.isEmpty() ? null : stores);
        }
        groupKey = null;
        group = Set.of(this);
    }

    private int groupBuffered() {
        int buffered = 0;
        for (ReadModelStore store : group) {
            buffered += store.buffer.size();
        }
        return buffered;
    }

    boolean isSuspect(TopicPartition partition, long offset) {
        Map<TopicPartition, Long> suspects = SUSPECTS.get(name);
        Long upTo = suspects == null ? null : suspects.get(partition);
        return upTo != null && offset <= upTo;
    }

    void clearSuspect(TopicPartition partition, long offset) {
        Map<TopicPartition, Long> suspects = SUSPECTS.get(name);
        if (suspects != null) {
            suspects.computeIfPresent(partition, (p, upTo) -> offset >= upTo ? null : upTo);
        }
    }

    /**
     * Applies one suspect record in a transaction of its own, after flushing what came before it.
     *
     * @throws SQLException when its statements fail: it goes to the dead-letter topic, its position is recorded
     */
    void applyAlone(Pending pending) throws SQLException {
        flush();
        try {
            write(Map.of(this, List.of(pending)));
        } catch (SQLException e) {
            if (isUnavailable(e)) {
                throw unavailable(e);
            }
            write(Map.of(this, List.of(new Pending(pending.partition(), pending.offset(), pending.position(), List.of()))));
            throw e;
        }
    }

    /**
     * A failure of the database rather than of the statements: the connection broke, the server is
     * restarting, no connection could be had. Nothing is suspect then; the task fails and the records are
     * delivered again once the database is back.
     */
    static boolean isUnavailable(SQLException e) {
        String state = e.getSQLState();
        return e instanceof java.sql.SQLTransientConnectionException || e instanceof java.sql.SQLNonTransientConnectionException
                || state == null || state.startsWith("08") || state.startsWith("57P") || state.equals("53300");
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
     * or not, none is lost; their own flushes write them, or fail their own tasks.
     */
    @Override
    public void flush() {
        Map<ReadModelStore, List<Pending>> batch = new LinkedHashMap<>();
        for (ReadModelStore store : group) { // this store is always in its group
            if (!store.buffer.isEmpty()) {
                batch.put(store, store.buffer);
            }
        }
        if (batch.size() > 1 || (batch.size() == 1 && !batch.containsKey(this))) {
            try {
                write(batch);
                batch.keySet().forEach(store -> store.buffer.clear());
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
            write(Map.of(this, buffer));
            buffer.clear();
        } catch (SQLException e) {
            if (isUnavailable(e)) {
                log.warn("Projection {}: the read-model database is unavailable ({}); the batch will be delivered again",
                        projection, e.getMessage());
                throw unavailable(e);
            }
            Map<TopicPartition, Long> suspects = SUSPECTS.computeIfAbsent(name, n -> new ConcurrentHashMap<>());
            for (Pending pending : buffer) {
                suspects.merge(pending.partition(), pending.offset(), Math::max);
            }
            int size = buffer.size();
            buffer.clear();
            log.warn("Projection {}: a batch of {} events failed in PostgreSQL ({}); it will be redelivered and applied one"
                    + " event at a time", projection, size, e.getMessage());
            throw new StreamsException("projection " + projection + ": writing " + size + " events failed: " + e.getMessage(), e);
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
        buffer.clear();
    }

    @Override
    public boolean setFlushListener(CacheFlushListener<Object, Object> listener, boolean sendOldValues) {
        return false;
    }

    /**
     * Writes events not yet applied, of each store (this one and others of its flush group), and their
     * partitions' positions, in one transaction.
     */
    private void write(Map<ReadModelStore, List<Pending>> byStore) throws SQLException {
        Map<TopicPartition, ReadModelDatabase.Applied> advanced = new HashMap<>();
        Map<TopicPartition, Written> written = log.isDebugEnabled() ? new HashMap<>() : null;
        try (Connection c = database.pool().getConnection()) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.execute("SET LOCAL search_path TO " + schema + ", public");
                String batchSql = null;
                PreparedStatement batch = null;
                int queued = 0;
                try {
                    for (var entry : byStore.entrySet()) {
                        Map<TopicPartition, ReadModelDatabase.Applied> storeApplied = entry.getKey().applied;
                        for (Pending pending : entry.getValue()) {
                            ReadModelDatabase.Applied last = advanced.getOrDefault(pending.partition(), storeApplied.get(pending.partition()));
                            if (last != null && pending.position() <= last.position()) {
                                if (written != null) {
                                    written.computeIfAbsent(pending.partition(), p -> new Written()).skipped++;
                                }
                                continue;
                            }
                            if (written != null) {
                                written.computeIfAbsent(pending.partition(), p -> new Written()).applied(pending.offset());
                            }
                            for (SqlBatch.Statement statement : pending.statements()) {
                                if (!statement.sql().equals(batchSql)) {
                                    if (batch != null) {
                                        batch.executeBatch();
                                        batch.close();
                                    }
                                    batchSql = statement.sql();
                                    batch = c.prepareStatement(batchSql);
                                    queued = 0;
                                }
                                Object[] parameters = statement.parameters();
                                for (int i = 0; i < parameters.length; i++) {
                                    batch.setObject(i + 1, parameters[i]);
                                }
                                batch.addBatch();
                                queued++;
                            }
                            advanced.put(pending.partition(), new ReadModelDatabase.Applied(pending.position(), pending.offset()));
                        }
                    }
                    if (batch != null && queued > 0) {
                        batch.executeBatch();
                    }
                } finally {
                    if (batch != null) {
                        batch.close();
                    }
                }
                if (!advanced.isEmpty()) {
                    try (PreparedStatement positions = c.prepareStatement("INSERT INTO " + schema + ".cqrs_positions"
                            + " (topic, partition, position, \"offset\") VALUES (?, ?, ?, ?) ON CONFLICT (topic, partition)"
                            + " DO UPDATE SET position = excluded.position, \"offset\" = excluded.\"offset\"")) {
                        for (var entry : advanced.entrySet()) {
                            positions.setString(1, entry.getKey().topic());
                            positions.setInt(2, entry.getKey().partition());
                            positions.setLong(3, entry.getValue().position());
                            positions.setLong(4, entry.getValue().offset());
                            positions.addBatch();
                        }
                        positions.executeBatch();
                    }
                    s.execute("SELECT pg_notify('" + ReadModelDatabase.CHANNEL + "', '" + projection + "')");
                }
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
        // Each store owns its own partitions; the others' entries in its map are never looked up.
        byStore.keySet().forEach(store -> store.applied.putAll(advanced));
        if (written != null) {
            log.debug("Projection {}: wrote for {} store(s) from {}: {}", projection, byStore.size(), name, written);
        }
    }

    /** What one write did to one partition, for the DEBUG log: the offsets it applied, and how many it skipped. */
    private static final class Written {
        long firstOffset = -1;
        long lastOffset = -1;
        int applied;
        int skipped;

        void applied(long offset) {
            if (firstOffset < 0) {
                firstOffset = offset;
            }
            lastOffset = offset;
            applied++;
        }

        @Override
        public String toString() {
            return "[" + firstOffset + ".." + lastOffset + "] applied " + applied + " skipped " + skipped;
        }
    }

    @Override
    public void close() {
        buffer.clear();
        leaveGroup();
        open = false;
    }

    @Override
    public boolean persistent() {
        return false;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    /** Builds one store per task; the store keeps no changelog: PostgreSQL is its durable state. */
    static final class Builder implements StoreBuilder<ReadModelStore> {
        private final String name;
        private final String projection;
        private final int generation;
        private final ReadModelDatabase database;
        private final int maxBatch;

        Builder(String projection, int generation, ReadModelDatabase database, int maxBatch) {
            this.name = storeName(projection, generation);
            this.projection = projection;
            this.generation = generation;
            this.database = database;
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

        @Override
        public ReadModelStore build() {
            return new ReadModelStore(name, projection, generation, database, maxBatch);
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
