package dev.cqrs.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cqrs.core.CommandMetadata;
import dev.cqrs.core.RawEvent;
import dev.cqrs.core.StreamId;
import dev.cqrs.core.codec.EncodedEvent;
import dev.cqrs.embedded.postgres.TestDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The gap test: 16 writers whose transactions commit after random delays (and sometimes roll back),
 * and a reader polling the global log all the while. What the reader saw, in order, must be every
 * committed event exactly once, nothing of a rolled-back transaction, per stream in sequence order,
 * and in real-time commit order: a transaction that committed before another began comes first.
 */
class GlobalLogGapTest {

    private static final int WRITERS = 16;
    private static final int EVENTS = 24_000;
    private static final TestDatabase db = TestStores.database("gap");
    private static final PostgresEventStore store = TestStores.store(db);

    @AfterAll
    static void close() {
        store.close();
    }

    /** One committed transaction: its events, and when it began and finished committing. */
    record Committed(List<String> events, long insertStartNanos, long commitEndNanos) {
    }

    @Test
    void aPollingReaderSeesEveryCommittedEventOnceInCommitOrder() throws Exception {
        Appender appender = new Appender(store.dataSource(), store.schema(), Optional.empty(), 1_000_000);
        ConcurrentLinkedQueue<Committed> committed = new ConcurrentLinkedQueue<>();
        Set<String> rolledBack = ConcurrentHashMap.newKeySet();
        AtomicInteger committedEvents = new AtomicInteger();
        AtomicBoolean writing = new AtomicBoolean(true);

        List<String> seen = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Long> seenPositions = java.util.Collections.synchronizedList(new ArrayList<>());
        Thread reader = Thread.ofPlatform().start(() -> {
            long last = 0;
            while (true) {
                boolean stillWriting = writing.get();
                List<RawEvent> page = store.globalLog().readAfter(last, 1_000);
                for (RawEvent event : page) {
                    seen.add(key(event.stream(), event.sequence().value()));
                    seenPositions.add(event.globalPosition());
                    last = event.globalPosition();
                }
                if (!stillWriting && page.isEmpty() && seen.size() >= committedEvents.get()) {
                    return;
                }
            }
        });
        NaiveReader naive = new NaiveReader(db, store.schema());
        Thread naiveThread = Thread.ofPlatform().start(() -> naive.run(writing));

        List<Thread> writers = IntStream.range(0, WRITERS).mapToObj(w -> Thread.ofPlatform().start(() -> {
            ThreadLocalRandom random = ThreadLocalRandom.current();
            try (Connection connection = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password())) {
                connection.setAutoCommit(false);
                while (committedEvents.get() < EVENTS) {
                    // Mostly streams of its own, sometimes a hot stream shared by all writers.
                    String id = random.nextInt(10) == 0 ? "hot-" + random.nextInt(3) : "w" + w + "-" + random.nextInt(20);
                    StreamId stream = StreamId.of("gap", id);
                    int count = 1 + random.nextInt(4);
                    List<EncodedEvent> events = IntStream.range(0, count)
                            .mapToObj(i -> new EncodedEvent("Happened", "text/plain", new byte[] {(byte) i})).toList();
                    long insertStart = System.nanoTime();
                    try {
                        var result = appender.appendWith(connection, stream, events, Optional.empty(), CommandMetadata.create());
                        sleepMicros(random.nextInt(10) == 0 ? 20_000 : random.nextInt(3_000));
                        List<String> keys = IntStream.rangeClosed((int) result.firstSequence().value(), (int) result.lastSequence().value())
                                .mapToObj(s -> key(stream, s)).toList();
                        if (random.nextInt(10) == 0) {
                            connection.rollback();
                            rolledBack.addAll(keys.stream().map(k -> k + "@" + result.firstPosition()).toList());
                        } else {
                            connection.commit();
                            committed.add(new Committed(keys, insertStart, System.nanoTime()));
                            committedEvents.addAndGet(keys.size());
                        }
                    } catch (SQLException | Appender.ConflictFound e) {
                        connection.rollback(); // lost a race on a hot stream's sequence: try again
                    }
                }
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        })).toList();
        for (Thread writer : writers) {
            writer.join();
        }
        writing.set(false);
        reader.join(60_000);
        naiveThread.join(60_000);
        List<String> expected = committed.stream().flatMap(c -> c.events().stream()).toList();
        if (reader.isAlive()) {
            Set<String> missing = new HashSet<>(expected);
            synchronized (seen) {
                seen.forEach(missing::remove);
            }
            throw new AssertionError("the reader did not catch up within 60 s: it saw " + seen.size() + " of "
                    + expected.size() + " committed events; missing " + missing.size() + ": "
                    + missing.stream().limit(20).toList() + " at positions " + positionsOf(missing.stream().limit(20).toList())
                    + "; its last position " + (seenPositions.isEmpty() ? 0 : seenPositions.getLast()));
        }
        assertThat(expected).hasSizeGreaterThanOrEqualTo(EVENTS);
        // Exactly once: no duplicates, nothing missing, nothing rolled back.
        assertThat(new HashSet<>(seen)).hasSameSizeAs(seen);
        assertThat(new HashSet<>(seen)).isEqualTo(new HashSet<>(expected));
        assertThat(seenPositions).isSorted().doesNotHaveDuplicates();
        // Per stream, in sequence order from 1.
        Map<String, Long> lastSequence = new java.util.HashMap<>();
        for (String event : seen) {
            String stream = event.substring(0, event.lastIndexOf('#'));
            long sequence = Long.parseLong(event.substring(event.lastIndexOf('#') + 1));
            assertThat(sequence).as(event).isEqualTo(lastSequence.getOrDefault(stream, 0L) + 1);
            lastSequence.put(stream, sequence);
        }
        // Real-time commit order: everything committed before a transaction began is read before it.
        Map<String, Integer> indexOf = new java.util.HashMap<>();
        for (int i = 0; i < seen.size(); i++) {
            indexOf.put(seen.get(i), i);
        }
        List<Committed> byCommitEnd = committed.stream().sorted(Comparator.comparingLong(Committed::commitEndNanos)).toList();
        int[] prefixMaxIndex = new int[byCommitEnd.size()];
        int max = -1;
        for (int i = 0; i < byCommitEnd.size(); i++) {
            for (String e : byCommitEnd.get(i).events()) {
                max = Math.max(max, indexOf.get(e));
            }
            prefixMaxIndex[i] = max;
        }
        long[] commitEnds = byCommitEnd.stream().mapToLong(Committed::commitEndNanos).toArray();
        int checked = 0;
        for (Committed later : committed) {
            int before = lowerBound(commitEnds, later.insertStartNanos()) - 1;
            if (before >= 0) {
                int first = later.events().stream().mapToInt(indexOf::get).min().orElseThrow();
                assertThat(prefixMaxIndex[before]).as("events committed before %s began are read before it", later.events())
                        .isLessThan(first);
                checked++;
            }
        }
        assertThat(checked).isPositive();
        System.out.printf("gap test: %d events in %d transactions read exactly once and in order; %d rolled-back events"
                        + " never seen; a naive 'position > last' reader missed %d of them%n",
                seen.size(), committed.size(), rolledBack.size(), naive.missed(new HashSet<>(expected)));
    }

    /** Where the given events ("id#sequence") sit in the log, for a failure message. */
    private static List<Long> positionsOf(List<String> events) throws SQLException {
        List<Long> positions = new ArrayList<>();
        try (Connection connection = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
             PreparedStatement ps = connection.prepareStatement("SELECT global_position FROM " + store.schema()
                     + ".events WHERE aggregate_type = 'gap' AND aggregate_id = ? AND sequence = ?")) {
            for (String event : events) {
                ps.setString(1, event.substring(0, event.lastIndexOf('#')));
                ps.setLong(2, Long.parseLong(event.substring(event.lastIndexOf('#') + 1)));
                try (ResultSet rs = ps.executeQuery()) {
                    positions.add(rs.next() ? rs.getLong(1) : -1L);
                }
            }
        }
        return positions;
    }

    private static int lowerBound(long[] sorted, long value) {
        int lo = 0;
        int hi = sorted.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] < value) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    private static String key(StreamId stream, long sequence) {
        return stream.aggregateId() + "#" + sequence;
    }

    private static void sleepMicros(long micros) {
        try {
            Thread.sleep(micros / 1_000, (int) (micros % 1_000) * 1_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** For contrast only: reads "position > last" with no visibility bound, as a naive outbox poller does. */
    static final class NaiveReader {
        private final TestDatabase db;
        private final String schema;
        private final Set<String> seen = new HashSet<>();

        NaiveReader(TestDatabase db, String schema) {
            this.db = db;
            this.schema = schema;
        }

        void run(AtomicBoolean writing) {
            long last = 0;
            try (Connection connection = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
                 PreparedStatement ps = connection.prepareStatement("SELECT global_position, aggregate_id, sequence FROM "
                         + schema + ".events WHERE global_position > ? ORDER BY global_position LIMIT 1000")) {
                boolean more = true;
                while (writing.get() || more) {
                    ps.setLong(1, last);
                    more = false;
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            last = rs.getLong(1);
                            seen.add(rs.getString(2) + "#" + rs.getLong(3));
                            more = true;
                        }
                    }
                }
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        }

        long missed(Set<String> committed) {
            return committed.stream().filter(e -> !seen.contains(e)).count();
        }
    }
}
