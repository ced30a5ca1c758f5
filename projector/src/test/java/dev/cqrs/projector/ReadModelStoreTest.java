package dev.cqrs.projector;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cqrs.core.CommandMetadata;
import dev.cqrs.core.EventMetadata;
import dev.cqrs.core.EventNumber;
import dev.cqrs.core.RecordedEvent;
import dev.cqrs.core.StreamId;
import dev.cqrs.core.contract.ContractEvent;
import dev.cqrs.embedded.postgres.PostgresServer;
import dev.cqrs.embedded.postgres.TestDatabase;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.UnaryOperator;
import javax.sql.DataSource;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The read-model store's writes to PostgreSQL, driven directly (no Kafka Streams): what must hold whoever
 * writes, and whatever the database answers. Each record's increment is applied exactly once, so the
 * counter equals the number of distinct records.
 */
class ReadModelStoreTest {

    private static final String TOPIC = "counters-topic";

    private final TestDatabase db = PostgresServer.shared().createDatabase("read_model_store");
    private final PostgresProjection<ContractEvent> projection = ProjectorTestSupport.counterProjection(TOPIC, e -> { });
    private ReadModelDatabase database;

    @AfterEach
    void close() {
        if (database != null) {
            database.close();
        }
    }

    /**
     * A projector paused past its session timeout loses its partitions; the new owner applies the records;
     * the paused one resumes and flushes what it had buffered before Kafka fences it. Its write to PostgreSQL
     * must be fenced there: the positions are checked and advanced inside the write's own transaction.
     */
    @Test
    void twoStoresOfOneGenerationThatBothFlushTheSameRecordApplyItOnce() throws Exception {
        database = database(UnaryOperator.identity());
        int generation = database.createGeneration(projection);
        ReadModelStore zombie = store(generation);
        ReadModelStore owner = store(generation);
        zombie.open();
        owner.open();

        // Two processes: each store is fed and flushed by a thread of its own.
        onItsOwnThread(() -> zombie.add(increment(0, 7, 1)));
        owner.add(increment(0, 7, 1));
        owner.flush();
        onItsOwnThread(zombie::flush);

        assertThat(totals()).as("the increment at offset 7, flushed by two stores of generation %d", generation)
                .containsExactly(Map.entry("c-0", 1L));
    }

    /**
     * A flush whose COMMIT reached the server but whose answer was lost (the connection broke): the write
     * is tried again, and must not apply what the first attempt committed. Two partitions on one stream
     * thread flush together, so both tasks' records are in the lost-answer transaction.
     */
    @Test
    void aFlushWhoseCommitOutcomeIsUnknownDoesNotApplyItsRecordsTwice() throws Exception {
        AtomicBoolean failNextCommit = new AtomicBoolean();
        database = database(pool -> commitThenFail(pool, failNextCommit));
        int generation = database.createGeneration(projection);
        ReadModelStore first = store(generation);
        ReadModelStore second = store(generation);
        first.open();
        second.open();
        int events = 0;
        for (int offset = 0; offset < 20; offset++) {
            first.add(increment(0, offset, 1));
            second.add(increment(1, offset, 1));
            events += 2;
        }

        failNextCommit.set(true);
        flushIgnoringFailure(first);
        flushIgnoringFailure(second);
        first.flush();
        second.flush();

        assertThat(failNextCommit).as("the commit that lost its answer happened").isFalse();
        assertThat(totals().values().stream().mapToLong(Long::longValue).sum())
                .as("the sum of the counters: each of the %d increments applied once", events).isEqualTo(events);
    }

    /** The timed flush writes a buffered record within the flush interval, off the stream thread: nobody calls flush. */
    @Test
    void aBufferedRecordReachesPostgresWithoutAFlushCall() throws Exception {
        database = database(UnaryOperator.identity());
        ReadModelStore store = store(database.createGeneration(projection));
        store.open();
        store.add(increment(0, 0, 1));
        long deadline = System.nanoTime() + java.time.Duration.ofSeconds(10).toNanos();
        while (totals().isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(totals()).as("the record, written by the timed flush alone").containsExactly(Map.entry("c-0", 1L));
    }

    /**
     * A timed flush that fails leaves its records where they are and schedules no other: the stream thread's
     * next flush (before the commit, at the latest) writes them, and would be the one to fail the task.
     */
    @Test
    void aTimedFlushThatFailsLeavesItsRecordsToTheStreamThreadsFlush() throws Exception {
        java.util.concurrent.atomic.AtomicInteger refusals = new java.util.concurrent.atomic.AtomicInteger(1);
        database = database(pool -> refuseConnections(pool, refusals));
        ReadModelStore store = store(database.createGeneration(projection));
        store.open();
        store.add(increment(0, 0, 1));
        store.add(increment(0, 1, 1));
        long deadline = System.nanoTime() + java.time.Duration.ofSeconds(10).toNanos();
        while (refusals.get() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(refusals).as("the timed flush asked for a connection and was refused").hasValue(0);
        Thread.sleep(200); // forty flush intervals: a timer that tried again would have written by now
        assertThat(totals()).as("nothing written after the failed timed flush").isEmpty();
        store.flush();
        assertThat(totals()).as("both records, once, by the stream thread's flush").containsExactly(Map.entry("c-0", 2L));
    }

    /** A data source whose first {@code refusals} requests for a connection fail as if the server refused them. */
    private static DataSource refuseConnections(DataSource pool, java.util.concurrent.atomic.AtomicInteger refusals) {
        InvocationHandler connections = (proxy, method, args) -> {
            if (method.getName().equals("getConnection") && refusals.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new SQLException("connection refused (injected)", "08001");
            }
            return invoke(pool, method, args);
        };
        return (DataSource) Proxy.newProxyInstance(DataSource.class.getClassLoader(), new Class<?>[] {DataSource.class}, connections);
    }

    /** Runs {@code work} on a new thread (as another stream thread or process would) and waits for it. */
    private static void onItsOwnThread(ThrowingRunnable work) throws Exception {
        java.util.concurrent.CompletableFuture<Void> done = new java.util.concurrent.CompletableFuture<>();
        Thread.ofPlatform().start(() -> {
            try {
                work.run();
                done.complete(null);
            } catch (Throwable e) {
                done.completeExceptionally(e);
            }
        });
        done.get(30, java.util.concurrent.TimeUnit.SECONDS);
    }

    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    private static void flushIgnoringFailure(ReadModelStore store) {
        try {
            store.flush();
        } catch (RuntimeException e) {
            // the task fails and its records come again; what matters is what reached PostgreSQL
        }
    }

    private ReadModelDatabase database(UnaryOperator<DataSource> decorate) {
        return new ReadModelDatabase(db.jdbcUrl(), db.user(), db.password(), "read", "cqrs_projections", 4, decorate);
    }

    private ReadModelStore store(int generation) {
        return new ReadModelStore.Builder(new Generation(projection.name(), generation), database, 1_000, java.time.Duration.ofMillis(5), new ProjectionMetrics()).build();
    }

    /** An increment of counter c-{partition} by one, as the projection's handler writes it. */
    private ReadModelWriter.Pending increment(int partition, long offset, int by) throws Exception {
        long position = ((1_000L + partition * 100_000L + offset) << 16);
        var event = new RecordedEvent<ContractEvent>(position, StreamId.of("counter", "c-" + partition),
                EventNumber.of(offset + 1), new ContractEvent.Incremented(by), metadata());
        SqlBatch sql = new SqlBatch();
        projection.apply(event, sql);
        return new ReadModelWriter.Pending(new TopicPartition(TOPIC, partition), offset, position, List.copyOf(sql.statements));
    }

    private static EventMetadata metadata() {
        CommandMetadata command = CommandMetadata.create();
        return new EventMetadata(java.util.UUID.randomUUID(), command.correlationId(), java.util.Optional.empty(),
                java.util.Optional.empty(), java.time.Instant.now(), Map.of());
    }

    private Map<String, Long> totals() throws SQLException {
        try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT id, total FROM read.counters ORDER BY id")) {
            Map<String, Long> totals = new HashMap<>();
            while (rs.next()) {
                totals.put(rs.getString(1), rs.getLong(2));
            }
            return totals;
        }
    }

    /**
     * A data source whose connections, once {@code armed} is set, commit for real and then throw as if the
     * connection broke before the answer came back (SQLState 08006), once.
     */
    private static DataSource commitThenFail(DataSource pool, AtomicBoolean armed) {
        InvocationHandler connections = (proxy, method, args) -> {
            Object result = invoke(pool, method, args);
            if (method.getName().equals("getConnection")) {
                Connection real = (Connection) result;
                return Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
                        (p, m, a) -> {
                            Object answer = invoke(real, m, a);
                            if (m.getName().equals("commit") && armed.compareAndSet(true, false)) {
                                throw new SQLException("connection lost after COMMIT was sent (injected)", "08006");
                            }
                            return answer;
                        });
            }
            return result;
        };
        return (DataSource) Proxy.newProxyInstance(DataSource.class.getClassLoader(), new Class<?>[] {DataSource.class}, connections);
    }

    private static Object invoke(Object target, java.lang.reflect.Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
