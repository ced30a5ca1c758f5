package dev.cqrs.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cqrs.core.AppendResult;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
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
 * committed event exactly once, at the position it was committed at, nothing of a rolled-back
 * transaction, per stream in sequence order, and in real-time commit order: a transaction that committed
 * before another began comes first. Events are identified by their global position (a rolled-back
 * transaction's positions are never given to another one, while its stream and sequence are), so a reader
 * that returned a rolled-back row would be caught.
 *
 * <p>A naive reader ({@code position > last}, no visibility bound) polls the same log at the same time: it
 * must miss committed events, or this test's writers did not make the gaps that the global log's bound is
 * there to close.
 */
class GlobalLogGapTest {

    private static final int WRITERS = 16;
    private static final int EVENTS = 24_000;
    private static final Duration WRITING_BOUND = Duration.ofMinutes(3);
    private static final Duration CATCH_UP_BOUND = Duration.ofSeconds(60);
    private static final TestDatabase db = TestStores.database("gap");
    private static final PostgresEventStore store = TestStores.store(db);

    @AfterAll
    static void close() {
        store.close();
    }

    /** One committed transaction: its events by position, and when it began and finished committing. */
    record Committed(Map<Long, String> events, long insertStartNanos, long commitEndNanos) {
    }

    @Test
    void aPollingReaderSeesEveryCommittedEventOnceInCommitOrder() throws Exception {
        Appender appender = new Appender(store.dataSource(), store.schema(), Optional.empty(), 1_000_000);
        ConcurrentLinkedQueue<Committed> committed = new ConcurrentLinkedQueue<>();
        Set<Long> rolledBack = ConcurrentHashMap.newKeySet();
        AtomicInteger committedEvents = new AtomicInteger();
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicBoolean stop = new AtomicBoolean();
        List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());

        List<RawEvent> seen = Collections.synchronizedList(new ArrayList<>());
        Thread reader = Thread.ofPlatform().name("gap-reader").start(() -> {
            try {
                long last = 0;
                while (!stop.get()) {
                    boolean stillWriting = writing.get();
                    List<RawEvent> page = store.globalLog().readAfter(last, 1_000);
                    for (RawEvent event : page) {
                        seen.add(event);
                        last = event.globalPosition();
                    }
                    if (!stillWriting && page.isEmpty() && seen.size() >= committedEvents.get()) {
                        return;
                    }
                }
            } catch (Throwable e) {
                failures.add(e);
            }
        });
        NaiveReader naive = new NaiveReader(db, store.schema());
        Thread naiveThread = Thread.ofPlatform().name("gap-naive-reader").start(() -> {
            try {
                naive.run(writing, stop);
            } catch (Throwable e) {
                failures.add(e);
            }
        });

        List<Thread> writers = IntStream.range(0, WRITERS).mapToObj(w -> Thread.ofPlatform().name("gap-writer-" + w).start(() -> {
            ThreadLocalRandom random = ThreadLocalRandom.current();
            try (Connection connection = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password())) {
                connection.setAutoCommit(false);
                while (committedEvents.get() < EVENTS && !stop.get()) {
                    // Mostly streams of its own, sometimes a hot stream shared by all writers.
                    String id = random.nextInt(10) == 0 ? "hot-" + random.nextInt(3) : "w" + w + "-" + random.nextInt(20);
                    StreamId stream = StreamId.of("gap", id);
                    int count = 1 + random.nextInt(4);
                    List<EncodedEvent> events = IntStream.range(0, count)
                            .mapToObj(i -> new EncodedEvent("Happened", "text/plain", new byte[] {(byte) i})).toList();
                    long insertStart = System.nanoTime();
                    try {
                        AppendResult result = appender.appendWith(connection, stream, events, Optional.empty(), CommandMetadata.create());
                        sleepMicros(random.nextInt(10) == 0 ? 20_000 : random.nextInt(3_000));
                        Map<Long, String> written = new HashMap<>();
                        for (int i = 0; i < result.eventCount(); i++) {
                            written.put(result.firstPosition() + i, key(stream, result.firstSequence().value() + i));
                        }
                        if (random.nextInt(10) == 0) {
                            connection.rollback();
                            rolledBack.addAll(written.keySet());
                        } else {
                            connection.commit();
                            committed.add(new Committed(written, insertStart, System.nanoTime()));
                            committedEvents.addAndGet(written.size());
                        }
                    } catch (SQLException | Appender.ConflictFound e) {
                        connection.rollback(); // lost a race on a hot stream's sequence: try again
                    }
                }
            } catch (Throwable e) {
                failures.add(e);
            }
        })).toList();
        try {
            long deadline = System.nanoTime() + WRITING_BOUND.toNanos();
            for (Thread writer : writers) {
                writer.join(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
                assertThat(writer.isAlive()).as("%s finished writing within %s", writer.getName(), WRITING_BOUND).isFalse();
            }
            writing.set(false);
            reader.join(CATCH_UP_BOUND);
            naiveThread.join(CATCH_UP_BOUND);
            assertThat(failures).as("failures of the writers and readers").isEmpty();
            if (reader.isAlive()) {
                throw new AssertionError(notCaughtUp(committed, seen));
            }
            assertThat(naiveThread.isAlive()).as("the naive reader ended within %s", CATCH_UP_BOUND).isFalse();
        } finally {
            stop.set(true);
        }

        Map<Long, String> expected = new HashMap<>();
        committed.forEach(c -> expected.putAll(c.events()));
        assertThat(expected).hasSizeGreaterThanOrEqualTo(EVENTS);
        assertThat(rolledBack).as("the writers rolled some transactions back").isNotEmpty();
        List<Long> seenPositions = seen.stream().map(RawEvent::globalPosition).toList();
        // Exactly once, by position: no duplicates, nothing missing, nothing rolled back, each where it was committed.
        assertThat(seenPositions).isSorted().doesNotHaveDuplicates();
        assertThat(seenPositions).as("positions of rolled-back transactions read").doesNotContainAnyElementsOf(rolledBack);
        Set<Long> missing = new HashSet<>(expected.keySet());
        seenPositions.forEach(missing::remove);
        assertThat(missing).as("committed events the reader skipped").isEmpty();
        assertThat(new HashSet<>(seenPositions)).isEqualTo(expected.keySet());
        for (RawEvent event : seen) {
            assertThat(key(event.stream(), event.sequence().value())).as("the event at position %d", event.globalPosition())
                    .isEqualTo(expected.get(event.globalPosition()));
        }
        // Per stream, in sequence order from 1.
        Map<String, Long> lastSequence = new HashMap<>();
        for (RawEvent event : seen) {
            String stream = event.stream().aggregateId();
            long sequence = event.sequence().value();
            assertThat(sequence).as("%s at position %d", key(event.stream(), sequence), event.globalPosition())
                    .isEqualTo(lastSequence.getOrDefault(stream, 0L) + 1);
            lastSequence.put(stream, sequence);
        }
        // Real-time commit order: everything committed before a transaction began is read before it.
        Map<Long, Integer> indexOf = new HashMap<>();
        for (int i = 0; i < seenPositions.size(); i++) {
            indexOf.put(seenPositions.get(i), i);
        }
        List<Committed> byCommitEnd = committed.stream().sorted(Comparator.comparingLong(Committed::commitEndNanos)).toList();
        int[] prefixMaxIndex = new int[byCommitEnd.size()];
        int max = -1;
        for (int i = 0; i < byCommitEnd.size(); i++) {
            for (long position : byCommitEnd.get(i).events().keySet()) {
                max = Math.max(max, indexOf.get(position));
            }
            prefixMaxIndex[i] = max;
        }
        long[] commitEnds = byCommitEnd.stream().mapToLong(Committed::commitEndNanos).toArray();
        int checked = 0;
        for (Committed later : committed) {
            int before = lowerBound(commitEnds, later.insertStartNanos()) - 1;
            if (before >= 0) {
                int first = later.events().keySet().stream().mapToInt(indexOf::get).min().orElseThrow();
                assertThat(prefixMaxIndex[before]).as("events committed before %s began are read before it", later.events())
                        .isLessThan(first);
                checked++;
            }
        }
        assertThat(checked).isPositive();
        // The contrast: without the bound, a reader skips late commits. If it does not, the writers made no gaps.
        long naiveMissed = naive.missed(expected.keySet());
        System.out.printf("gap test: %d events in %d transactions read exactly once and in order; %d rolled-back events"
                        + " never seen; a naive 'position > last' reader missed %d of them%n",
                seen.size(), committed.size(), rolledBack.size(), naiveMissed);
        assertThat(naiveMissed).as("committed events the naive reader missed: the gaps this test must make").isPositive();
        assertThat(naive.readRolledBack(rolledBack)).as("rolled-back events the naive reader read").isZero();
    }

    /** Which committed events a reader that did not catch up is missing, by position and stream, for the failure. */
    private static String notCaughtUp(Iterable<Committed> committed, List<RawEvent> seen) {
        Map<Long, String> missing = new java.util.TreeMap<>();
        committed.forEach(c -> missing.putAll(c.events()));
        int seenCount;
        long lastSeen;
        synchronized (seen) {
            seen.forEach(e -> missing.remove(e.globalPosition()));
            seenCount = seen.size();
            lastSeen = seen.isEmpty() ? 0 : seen.getLast().globalPosition();
        }
        return "the reader did not catch up within " + CATCH_UP_BOUND + ": it saw " + seenCount + " events; missing "
                + missing.size() + ", the first at positions " + missing.entrySet().stream().limit(20).toList()
                + "; its last position " + lastSeen;
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
        private final Set<Long> seen = ConcurrentHashMap.newKeySet();

        NaiveReader(TestDatabase db, String schema) {
            this.db = db;
            this.schema = schema;
        }

        void run(AtomicBoolean writing, AtomicBoolean stop) throws SQLException {
            long last = 0;
            try (Connection connection = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
                 PreparedStatement ps = connection.prepareStatement("SELECT global_position FROM "
                         + schema + ".events WHERE global_position > ? ORDER BY global_position LIMIT 1000")) {
                boolean more = true;
                while ((writing.get() || more) && !stop.get()) {
                    ps.setLong(1, last);
                    more = false;
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            last = rs.getLong(1);
                            seen.add(last);
                            more = true;
                        }
                    }
                }
            }
        }

        long missed(Set<Long> committed) {
            return committed.stream().filter(position -> !seen.contains(position)).count();
        }

        long readRolledBack(Set<Long> rolledBack) {
            return rolledBack.stream().filter(seen::contains).count();
        }
    }
}
