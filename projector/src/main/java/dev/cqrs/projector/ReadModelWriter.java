package dev.cqrs.projector;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes handled records into one projection generation's schema: their statements, their partitions'
 * positions and their dead letters, in one PostgreSQL transaction.
 *
 * <p>The write fences itself. Its first statement locks the positions rows of the partitions it touches
 * (in a fixed order, so that two writers never deadlock on them) and reads them; a record at or below its
 * partition's stored offset (or, when it has one, stored global position) was applied before and is
 * skipped. So whoever writes, and however often, each record is applied once: a projector that was paused
 * past its session timeout and flushes records the new owner of its partitions has already applied (Kafka
 * fences only its Kafka writes), or a write tried again after its COMMIT reached the server but the answer
 * did not (the outcome was unknown). Nothing in memory decides what was applied; the database does.
 *
 * <p>The database can go back in time under a running projector: restored from a backup, or failed over to
 * an asynchronous standby that lacks the last commits. Its positions are then below what Kafka's group has
 * consumed, and writing on would leave a gap for good. So the writer remembers the highest offset it saw
 * stored (or committed itself) per partition; stored positions only ever move forward, so a stored offset
 * below that means the database lost writes. The write then applies nothing and fails the task
 * ({@link WentBack}); the stream thread is replaced, the partitions are assigned again, and
 * {@link ReadModelResume} seeks each one back to the read model's own offset, which it also tells
 * {@link #resumedAt} (the memory starts again from there). Memory only ever detects; it never decides
 * what is skipped.
 */
final class ReadModelWriter {

    private static final Logger log = LoggerFactory.getLogger(ReadModelWriter.class);

    /**
     * The read-model database holds less than this projector saw it hold: a restore or a failover lost
     * writes. Nothing was written; the task must fail, so that its partitions resume from the read model.
     */
    static final class WentBack extends RuntimeException {
        WentBack(String message) {
            super(message);
        }
    }

    /** A handled record waiting to be written: its statements, or the reason it goes to the dead letters. */
    record Pending(TopicPartition partition, long offset, long position, List<SqlBatch.Statement> statements,
                   Optional<Failure> failure) {

        Pending(TopicPartition partition, long offset, long position, List<SqlBatch.Statement> statements) {
            this(partition, offset, position, statements, Optional.empty());
        }

        /** The record, set aside: nothing of it is applied, its position still counts. */
        Pending asDeadLetter(Failure failure) {
            return new Pending(partition, offset, position, List.of(), Optional.of(failure));
        }
    }

    /**
     * Why a record was set aside, and the record as it was.
     *
     * @param eventId the event's id, when its headers could be read
     */
    record Failure(Delivery.Stage stage, String error, Optional<UUID> eventId, String key, byte[] value,
                   List<String> headerNames, List<byte[]> headerValues, Instant failedAt) {
    }

    /** What one write did to one partition (for the DEBUG log): the offsets it applied and how many it skipped. */
    static final class Written {
        long firstOffset = -1;
        long lastOffset = -1;
        int applied;
        int skipped;
        /** Of those applied, how many lay below the group's committed offset when their partition resumed. */
        int appliedAgain;

        private void applied(long offset) {
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

    private final ReadModelDatabase database;
    private final Generation generation;
    private final String projection;
    private final String schema;
    /** Per partition, the highest offset seen stored or committed by this writer since its partition resumed. */
    private final Map<TopicPartition, Long> seen = new ConcurrentHashMap<>();
    /**
     * Per partition that resumed below the group's committed offset: that offset, and how many records below
     * it were applied again (the read model had lost them).
     */
    private final Map<TopicPartition, long[]> rewound = new ConcurrentHashMap<>();

    ReadModelWriter(ReadModelDatabase database, Generation generation) {
        this.database = database;
        this.generation = generation;
        this.projection = generation.projection();
        this.schema = generation.schema();
    }

    /**
     * A partition resumes after {@code applied}, the offset the read model holds (-1: nothing), on its
     * assignment; {@code committed} is where the group would have resumed it (-1: nowhere), and when it is
     * above, the records in between that the read model lacks are applied again and counted.
     */
    void resumedAt(TopicPartition partition, long applied, long committed) {
        seen.put(partition, applied);
        if (committed > applied + 1) {
            rewound.put(partition, new long[] {committed, 0});
        } else {
            rewound.remove(partition);
        }
    }

    /**
     * Writes the records not yet applied, in order, with the new positions and the dead letters, and
     * announces the move (NOTIFY) in the same transaction.
     *
     * @return per partition, what was applied and skipped
     * @throws SQLException when the transaction fails; then nothing of it is written
     */
    Map<TopicPartition, Written> write(List<Pending> records) throws SQLException {
        Map<TopicPartition, Written> written = new HashMap<>();
        if (records.isEmpty()) {
            return written;
        }
        try (Connection c = database.pool().getConnection()) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.execute("SET LOCAL search_path TO " + schema + ", public");
                Map<TopicPartition, ReadModelDatabase.Applied> positions = lockPositions(c, records);
                refuseIfWentBack(positions);
                Map<TopicPartition, ReadModelDatabase.Applied> advanced = new HashMap<>();
                List<Pending> deadLetters = new ArrayList<>();
                StatementBatches batches = new StatementBatches(c);
                try {
                    for (Pending pending : records) {
                        Written w = written.computeIfAbsent(pending.partition(), p -> new Written());
                        ReadModelDatabase.Applied last = positions.get(pending.partition());
                        if (pending.offset() <= last.offset() || (pending.position() > 0 && pending.position() <= last.position())) {
                            w.skipped++;
                            continue;
                        }
                        w.applied(pending.offset());
                        long[] rewind = rewound.get(pending.partition());
                        if (rewind != null && pending.offset() < rewind[0]) {
                            w.appliedAgain++;
                        }
                        for (SqlBatch.Statement statement : pending.statements()) {
                            batches.add(statement);
                        }
                        if (pending.failure().isPresent()) {
                            deadLetters.add(pending);
                        }
                        ReadModelDatabase.Applied next = new ReadModelDatabase.Applied(
                                Math.max(last.position(), pending.position()), pending.offset());
                        positions.put(pending.partition(), next);
                        advanced.put(pending.partition(), next);
                    }
                    batches.finish();
                } finally {
                    batches.close();
                }
                if (!advanced.isEmpty()) {
                    updatePositions(c, advanced);
                    insertDeadLetters(c, deadLetters);
                    ReadModelDatabase.announce(s, projection);
                }
                c.commit();
                positions.forEach((partition, applied) -> seen.merge(partition, applied.offset(), Math::max));
                countAppliedAgain(written);
                return written;
            } catch (SQLException | RuntimeException e) {
                rollbackQuietly(c);
                throw e;
            }
        }
    }

    private void refuseIfWentBack(Map<TopicPartition, ReadModelDatabase.Applied> positions) {
        List<String> wentBack = new ArrayList<>();
        positions.forEach((partition, applied) -> {
            Long before = seen.get(partition);
            if (before != null && applied.offset() < before) {
                wentBack.add(partition + " holds offset " + applied.offset() + ", it held " + before);
            }
        });
        if (!wentBack.isEmpty()) {
            throw new WentBack("Projection " + generation + ": the read-model database went back"
                    + " in time (restored, or failed over to a standby that lacked its last commits): " + String.join("; ", wentBack)
                    + ". Nothing was written; the partitions resume from what the read model holds and apply the rest again");
        }
    }

    /** Logs, per partition that resumed below the group's offsets, the records applied again once it is past them. */
    private void countAppliedAgain(Map<TopicPartition, Written> written) {
        written.forEach((partition, w) -> {
            long[] rewind = rewound.get(partition);
            if (rewind == null || w.applied == 0) {
                return;
            }
            rewind[1] += w.appliedAgain;
            if (w.lastOffset + 1 >= rewind[0]) {
                rewound.remove(partition);
                if (rewind[1] > 0) {
                    log.warn("Projection {}: applied {} records of {} again that its consumer group had consumed"
                                    + " (below offset {}) but the read model lacked: the read-model database lost writes", generation,
                            rewind[1], partition, rewind[0]);
                }
            }
        });
    }

    /**
     * Applies a dead letter's statements (its handler fixed), once: the letter is marked replayed in the same
     * transaction, and a letter already marked is left alone.
     *
     * @param source the letter's record: {@code topic}, {@code partition} and {@code offset}
     * @return whether it was applied now
     * @throws SQLException when the statements fail; then nothing is written and the letter stays
     */
    boolean replay(TopicPartition source, long offset, List<SqlBatch.Statement> statements) throws SQLException {
        try (Connection c = database.pool().getConnection()) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.execute("SET LOCAL search_path TO " + schema + ", public");
                try (PreparedStatement mark = c.prepareStatement("UPDATE " + schema + "." + ReadModelDatabase.DEAD_LETTERS
                        + " SET replayed_at = now() WHERE topic = ? AND partition = ? AND \"offset\" = ? AND replayed_at IS NULL")) {
                    mark.setString(1, source.topic());
                    mark.setInt(2, source.partition());
                    mark.setLong(3, offset);
                    if (mark.executeUpdate() == 0) {
                        c.rollback();
                        return false;
                    }
                }
                try (StatementBatches batches = new StatementBatches(c)) {
                    for (SqlBatch.Statement statement : statements) {
                        batches.add(statement);
                    }
                    batches.finish();
                }
                ReadModelDatabase.announce(s, projection);
                c.commit();
                return true;
            } catch (SQLException | RuntimeException e) {
                rollbackQuietly(c);
                throw e;
            }
        }
    }

    /**
     * Locks and reads the positions rows of the records' partitions, creating those that do not exist yet
     * (offset -1: nothing applied). One statement; rows are taken in (topic, partition) order.
     */
    private Map<TopicPartition, ReadModelDatabase.Applied> lockPositions(Connection c, List<Pending> records) throws SQLException {
        TreeSet<TopicPartition> partitions = new TreeSet<>((a, b) -> {
            int byTopic = a.topic().compareTo(b.topic());
            return byTopic != 0 ? byTopic : Integer.compare(a.partition(), b.partition());
        });
        records.forEach(pending -> partitions.add(pending.partition()));
        String[] topics = new String[partitions.size()];
        Integer[] numbers = new Integer[partitions.size()];
        int i = 0;
        for (TopicPartition partition : partitions) {
            topics[i] = partition.topic();
            numbers[i++] = partition.partition();
        }
        String sql = "INSERT INTO " + schema + ".cqrs_positions AS p (topic, partition, position, \"offset\")"
                + " SELECT t, n, 0, -1 FROM unnest(?::text[], ?::int[]) WITH ORDINALITY AS x(t, n, o) ORDER BY o"
                + " ON CONFLICT (topic, partition) DO UPDATE SET position = p.position"
                + " RETURNING topic, partition, position, \"offset\"";
        Map<TopicPartition, ReadModelDatabase.Applied> positions = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setArray(1, c.createArrayOf("text", topics));
            ps.setArray(2, c.createArrayOf("int4", numbers));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    positions.put(new TopicPartition(rs.getString(1), rs.getInt(2)),
                            new ReadModelDatabase.Applied(rs.getLong(3), rs.getLong(4)));
                }
            }
        }
        return positions;
    }

    private void updatePositions(Connection c, Map<TopicPartition, ReadModelDatabase.Applied> advanced) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + schema + ".cqrs_positions SET position = ?, \"offset\" = ?"
                + " WHERE topic = ? AND partition = ?")) {
            for (var entry : advanced.entrySet()) {
                ps.setLong(1, entry.getValue().position());
                ps.setLong(2, entry.getValue().offset());
                ps.setString(3, entry.getKey().topic());
                ps.setInt(4, entry.getKey().partition());
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    private void insertDeadLetters(Connection c, List<Pending> deadLetters) throws SQLException {
        if (deadLetters.isEmpty()) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + schema + "." + ReadModelDatabase.DEAD_LETTERS
                + " (topic, partition, \"offset\", position, event_id, stage, error, record_key, record_value, header_names,"
                + " header_values, failed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")) {
            for (Pending pending : deadLetters) {
                Failure failure = pending.failure().orElseThrow();
                ps.setString(1, pending.partition().topic());
                ps.setInt(2, pending.partition().partition());
                ps.setLong(3, pending.offset());
                ps.setLong(4, pending.position());
                ps.setObject(5, failure.eventId().orElse(null));
                ps.setString(6, failure.stage().name());
                ps.setString(7, failure.error().replace('\0', ' '));
                ps.setString(8, failure.key() == null ? null : failure.key().replace('\0', ' '));
                ps.setBytes(9, failure.value());
                Array names = c.createArrayOf("text", failure.headerNames().stream().map(n -> n.replace('\0', ' ')).toArray());
                ps.setArray(10, names);
                ps.setArray(11, c.createArrayOf("bytea", failure.headerValues().toArray(new byte[0][])));
                ps.setTimestamp(12, Timestamp.from(failure.failedAt()));
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    private static void rollbackQuietly(Connection c) {
        try {
            c.rollback();
        } catch (SQLException ignored) {
            // the connection is gone; the server rolls the transaction back
        }
    }

    /** Consecutive statements with the same SQL go to the server as one JDBC batch. */
    private static final class StatementBatches implements AutoCloseable {
        private final Connection connection;
        private String sql;
        private PreparedStatement batch;
        private int queued;

        StatementBatches(Connection connection) {
            this.connection = connection;
        }

        void add(SqlBatch.Statement statement) throws SQLException {
            if (!statement.sql().equals(sql)) {
                finish();
                close();
                sql = statement.sql();
                batch = connection.prepareStatement(sql);
            }
            Object[] parameters = statement.parameters();
            for (int i = 0; i < parameters.length; i++) {
                batch.setObject(i + 1, parameters[i]);
            }
            batch.addBatch();
            queued++;
        }

        void finish() throws SQLException {
            if (batch != null && queued > 0) {
                batch.executeBatch();
                queued = 0;
            }
        }

        @Override
        public void close() throws SQLException {
            if (batch != null) {
                batch.close();
                batch = null;
            }
        }
    }
}
