package dev.cqrs.outbox;

import dev.cqrs.codec.kafka.EventRecords;
import dev.cqrs.core.EventStoreException;
import dev.cqrs.core.StreamId;
import dev.cqrs.postgres.PostgresEventStore;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings a store that went back in time (restored, recovered to a point in time, failed over to a standby
 * that lost the last commits) back in line with what the relay published, so that publishing can go on
 * without losing or repeating an event. Run only when {@code relay.on.regression=realign}.
 *
 * <p>The relay published every event up to its checkpoint P; the store lost some of them and, since it went
 * back, got new events whose positions (which come from transaction ids, and those went back too) can fall at
 * or below P: published from P on, they would be skipped. What happens:
 * <ol>
 *   <li>Q is found: the newest event of the store at or below P that Kafka has (same position, same event
 *       id). Every event of the store at or below Q was published; every event above Q was not: events
 *       written since the store went back got transaction ids above every one the store had kept.</li>
 *   <li>In one transaction that holds appends off (the events table locked in EXCLUSIVE mode), the events
 *       above Q are given new positions above P and above anything the store holds, in their order, and
 *       the server's transaction ids are advanced past them (empty transactions), so that every later
 *       append gets a larger position. Idempotency keys follow their events.</li>
 *   <li>The relay resumes after Q. The events Kafka has above Q are the ones the store lost: they are
 *       logged at ERROR, one line each (their ids, streams, positions); they are PostgreSQL's loss, and
 *       read models built from Kafka still hold them.</li>
 * </ol>
 */
final class Realignment {

    private static final Logger log = LoggerFactory.getLogger(Realignment.class);
    /** How far transaction ids may be advanced; beyond it, the operator does it (pg_resetwal -x). */
    private static final long MAX_TRANSACTIONS_TO_ADVANCE = 20_000_000;
    /** Store events examined per round, newest first, while looking for Q. */
    private static final int CHUNK = 1_000;

    /** A published event as Kafka has it. */
    record Published(long position, UUID eventId, String stream, long sequence) {
    }

    private final PostgresEventStore store;
    private final String bootstrapServers;
    private final Duration timeout;

    Realignment(PostgresEventStore store, String bootstrapServers, Duration timeout) {
        this.store = store;
        this.bootstrapServers = bootstrapServers;
        this.timeout = timeout;
    }

    /**
     * Realigns the store with checkpoint {@code behind} of relay group {@code relayName}.
     *
     * @param topics the event topics this store's relay publishes to
     * @return the checkpoint to resume from (Q)
     */
    RelayCheckpoints.Checkpoint realign(String relayName, Continuity.Verdict.Behind behind, Collection<String> topics) {
        long checkpoint = behind.checkpoint().position();
        log.warn("Relay {}: the store is behind its checkpoint (position {}); realigning it", relayName, checkpoint);
        try (KafkaConsumer<String, byte[]> consumer = consumer()) {
            List<TopicPartition> partitions = partitionsOf(consumer, topics);
            long below = checkpoint + 1;
            Map<Long, Published> published = Map.of();
            while (true) {
                List<PostgresEventStore.LoggedEvent> chunk = eventsBefore(below);
                if (chunk.isEmpty()) {
                    return finish(relayName, checkpoint, Optional.empty(), published, consumer, partitions);
                }
                long from = chunk.getLast().position();
                published = publishedFrom(consumer, partitions, from);
                for (PostgresEventStore.LoggedEvent event : chunk) {
                    Published there = published.get(event.position());
                    if (there != null && there.eventId().equals(event.eventId())) {
                        return finish(relayName, checkpoint, Optional.of(event), published, consumer, partitions);
                    }
                }
                below = from;
            }
        } catch (SQLException e) {
            throw new EventStoreException("realigning the store with relay " + relayName + "'s checkpoint failed: " + e.getMessage(), e);
        }
    }

    private RelayCheckpoints.Checkpoint finish(String relayName, long checkpoint, Optional<PostgresEventStore.LoggedEvent> q,
                                               Map<Long, Published> published,
                                               KafkaConsumer<String, byte[]> consumer, List<TopicPartition> partitions)
            throws SQLException {
        long qPosition = q.map(PostgresEventStore.LoggedEvent::position).orElse(0L);
        // What Kafka holds above Q: read from at most Q already when Q was found, else from the start.
        Map<Long, Published> seen = q.isPresent() ? published : publishedFrom(consumer, partitions, 0);
        List<Published> lost = seen.values().stream().filter(p -> p.position() > qPosition).sorted(
                Comparator.comparingLong(Published::position)).toList();
        long renumbered = renumberAfter(qPosition, checkpoint);
        for (Published event : lost) {
            log.error("Relay {}: the store lost event {} ({}#{}, global position {}), which was published to Kafka", relayName,
                    event.eventId(), event.stream(), event.sequence(), event.position());
        }
        log.warn("Relay {}: realigned the store with its checkpoint {}: the store keeps every published event up to position"
                        + " {}; {} published event(s) after it are lost from the store (PostgreSQL's loss; listed above); {} event(s)"
                        + " written since the store went back have new positions above {} and will be published now",
                relayName, checkpoint, qPosition, lost.size(), renumbered, checkpoint);
        return new RelayCheckpoints.Checkpoint(qPosition, q.map(PostgresEventStore.LoggedEvent::eventId), Optional.of(store.identity()));
    }

    /** Up to {@link #CHUNK} events of the store below {@code position}, newest first. */
    private List<PostgresEventStore.LoggedEvent> eventsBefore(long position) throws SQLException {
        String sql = "SELECT global_position, event_id, aggregate_type, aggregate_id, sequence FROM " + store.schema()
                + ".events WHERE global_position < ? ORDER BY global_position DESC LIMIT " + CHUNK;
        try (Connection c = store.dataSource().getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setLong(1, position);
            try (ResultSet rs = ps.executeQuery()) {
                List<PostgresEventStore.LoggedEvent> events = new ArrayList<>();
                while (rs.next()) {
                    events.add(new PostgresEventStore.LoggedEvent(rs.getLong(1), rs.getObject(2, UUID.class),
                            StreamId.of(rs.getString(3), rs.getString(4)), rs.getLong(5)));
                }
                return events;
            }
        }
    }

    /**
     * Gives every event above {@code after} a new position above {@code checkpoint} and above every position
     * the store holds, keeping their order and each append's events together, and advances the server's
     * transaction ids past them; all while appends wait.
     *
     * @return how many events got new positions
     */
    private long renumberAfter(long after, long checkpoint) throws SQLException {
        String schema = store.schema();
        try (Connection c = store.dataSource().getConnection()) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.execute("LOCK TABLE " + schema + ".events IN EXCLUSIVE MODE");
                long base;
                long transactions;
                try (ResultSet rs = s.executeQuery("SELECT greatest(coalesce(max(global_position), 0), " + checkpoint + ") >> 16,"
                        + " (SELECT count(DISTINCT global_position >> 16) FROM " + schema + ".events WHERE global_position > " + after
                        + ") FROM " + schema + ".events")) {
                    rs.next();
                    base = rs.getLong(1) + 1;
                    transactions = rs.getLong(2);
                }
                if (transactions > 0) {
                    advanceTransactionIds(base + transactions);
                    s.execute("CREATE TEMP TABLE cqrs_realigned ON COMMIT DROP AS SELECT xid, " + base
                            + " + row_number() OVER (ORDER BY xid) - 1 AS new_xid FROM (SELECT DISTINCT global_position >> 16 AS xid FROM "
                            + schema + ".events WHERE global_position > " + after + ") AS d");
                    s.executeUpdate("UPDATE " + schema + ".idempotency_keys k SET first_position = (m.new_xid << 16)"
                            + " | (k.first_position & 65535), last_position = (m.new_xid << 16) | (k.last_position & 65535)"
                            + " FROM cqrs_realigned m WHERE k.first_position > " + after + " AND (k.first_position >> 16) = m.xid");
                    long moved = s.executeUpdate("UPDATE " + schema + ".events e SET global_position = (m.new_xid << 16)"
                            + " | (e.global_position & 65535) FROM cqrs_realigned m WHERE e.global_position > " + after
                            + " AND (e.global_position >> 16) = m.xid");
                    c.commit();
                    return moved;
                }
                c.commit();
                return 0;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
    }

    /** Runs empty transactions until the server's next transaction id is above {@code past}. */
    private void advanceTransactionIds(long past) throws SQLException {
        try (Connection c = store.openSession(); Statement s = c.createStatement()) {
            s.execute("SET synchronous_commit = off");
            long next;
            try (ResultSet rs = s.executeQuery("SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint")) {
                rs.next();
                next = rs.getLong(1);
            }
            if (past - next > MAX_TRANSACTIONS_TO_ADVANCE) {
                throw new EventStoreException("the store is " + (past - next) + " transaction ids behind its relay checkpoint, more"
                        + " than the relay advances on its own (" + MAX_TRANSACTIONS_TO_ADVANCE + "): stop the server and advance"
                        + " them with pg_resetwal -x " + past + ", then start the relay again");
            }
            while (next <= past) {
                try (ResultSet rs = s.executeQuery("SELECT pg_current_xact_id()::text::bigint")) {
                    rs.next();
                    next = rs.getLong(1) + 1;
                }
            }
        }
    }

    private KafkaConsumer<String, byte[]> consumer() {
        return new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.CLIENT_ID_CONFIG, "cqrs-relay-realignment",
                ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis()),
                new StringDeserializer(), new ByteArrayDeserializer());
    }

    private static List<TopicPartition> partitionsOf(KafkaConsumer<String, byte[]> consumer, Collection<String> topics) {
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : topics) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic);
            if (infos != null) {
                infos.forEach(info -> partitions.add(new TopicPartition(topic, info.partition())));
            }
        }
        return partitions;
    }

    /** What Kafka holds at or after global position {@code from}, by position (records of a partition are in position order). */
    private Map<Long, Published> publishedFrom(KafkaConsumer<String, byte[]> consumer, List<TopicPartition> partitions, long from) {
        Map<Long, Published> published = new HashMap<>();
        if (partitions.isEmpty()) {
            return published;
        }
        Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
        Map<TopicPartition, Long> begins = consumer.beginningOffsets(partitions);
        for (TopicPartition partition : partitions) {
            consumer.assign(List.of(partition));
            long end = ends.get(partition);
            long low = begins.get(partition);
            long high = end;
            // the first offset whose next record has a position >= from
            while (low < high) {
                long mid = low + (high - low) / 2;
                Optional<ConsumerRecord<String, byte[]>> record = firstFrom(consumer, partition, mid, end);
                if (record.isEmpty() || position(record.get()) >= from) {
                    high = mid;
                } else {
                    low = record.get().offset() + 1;
                }
            }
            consumer.seek(partition, low);
            long deadline = System.nanoTime() + timeout.multipliedBy(6).toNanos();
            while (consumer.position(partition) < end && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200)).records(partition)) {
                    long position = position(record);
                    if (position >= from) {
                        var event = EventRecords.fromRecord(record);
                        published.put(position, new Published(position, event.metadata().eventId(), event.stream().toString(),
                                event.sequence().value()));
                    }
                }
            }
        }
        return published;
    }

    private Optional<ConsumerRecord<String, byte[]>> firstFrom(KafkaConsumer<String, byte[]> consumer, TopicPartition partition,
                                                               long offset, long end) {
        consumer.seek(partition, offset);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (consumer.position(partition) < end && System.nanoTime() < deadline) {
            List<ConsumerRecord<String, byte[]>> records = consumer.poll(Duration.ofMillis(200)).records(partition);
            if (!records.isEmpty()) {
                return Optional.of(records.getFirst());
            }
        }
        return Optional.empty();
    }

    private static long position(ConsumerRecord<String, byte[]> record) {
        Header header = record.headers().lastHeader(EventRecords.GLOBAL_POSITION);
        return header == null ? 0 : Long.parseLong(new String(header.value(), StandardCharsets.UTF_8));
    }
}
