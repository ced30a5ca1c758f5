package dev.cqrs.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cqrs.core.CommandMetadata;
import dev.cqrs.core.EventStore;
import dev.cqrs.core.RawEvent;
import dev.cqrs.core.StreamId;
import dev.cqrs.core.codec.EncodedEvent;
import dev.cqrs.core.contract.ContractCodecs;
import dev.cqrs.core.contract.ContractEvent;
import dev.cqrs.core.contract.ContractEvent.Incremented;
import dev.cqrs.embedded.postgres.PostgresServer;
import dev.cqrs.embedded.postgres.TestDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * What holds the global log back, and what does not. Positions come from transaction ids, so an old
 * transaction could hold back every event after it; only an append that is still running may.
 */
class GlobalLogHoldUpTest {

    private static final TestDatabase db = TestStores.database("holdup");
    private static final PostgresEventStore store = TestStores.store(db);
    private final String type = "t" + UUID.randomUUID().toString().substring(0, 8);
    private final EventStore<ContractEvent> events = store.events(type, ContractCodecs.events());

    @AfterAll
    static void close() {
        store.close();
    }

    /**
     * Seen from outside: with {@code BEGIN; CREATE TEMP TABLE t(i int); SELECT pg_sleep(25)} open in another
     * session, nothing was published for 25 s and every lag read 0. A transaction that never writes the
     * events table (in this database or another of the cluster) must not hold the log back.
     */
    @Test
    void transactionsThatNeverWriteTheEventsTableDoNotHoldTheLogBack() throws Exception {
        TestDatabase other = PostgresServer.shared().createDatabase("holdup_other");
        try (Connection here = idleInTransactionWithATransactionId(db);
             Connection elsewhere = idleInTransactionWithATransactionId(other)) {
            long before = store.globalLog().headPosition();
            String id = "a-" + UUID.randomUUID();
            for (int i = 0; i < 10; i++) {
                events.append(id, List.of(new Incremented(i)), Optional.empty(), CommandMetadata.create());
            }
            List<RawEvent> read = store.globalLog().readAfter(before, 100);
            assertThat(read).as("the 10 events appended while two other transactions stay open").hasSize(10)
                    .allSatisfy(e -> assertThat(e.stream().aggregateId()).isEqualTo(id));
            assertThat(store.globalLog().holdUp()).as("nothing holds the log back").isEmpty();
            here.rollback();
            elsewhere.rollback();
        }
    }

    /**
     * An append still running does hold back the events after it (they may have got their positions before
     * it commits): the log waits, the lag counts them, and {@link GlobalLog#holdUp} names the session.
     */
    @Test
    void anAppendStillRunningHoldsTheLogBackAndIsNamed() throws Exception {
        long before = store.globalLog().headPosition();
        Appender appender = new Appender(store.dataSource(), store.schema(), Optional.empty(), 1_000_000);
        try (Connection open = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password())) {
            open.setAutoCommit(false);
            try (Statement s = open.createStatement()) {
                s.execute("SET application_name = 'a slow appender'");
            }
            appender.appendWith(open, StreamId.of(type, "slow"),
                    List.of(new EncodedEvent("Incremented", ContractCodecs.CONTENT_TYPE, "1".getBytes())),
                    Optional.empty(), CommandMetadata.create());
            String id = "b-" + UUID.randomUUID();
            for (int i = 0; i < 5; i++) {
                events.append(id, List.of(new Incremented(i)), Optional.empty(), CommandMetadata.create());
            }
            assertThat(store.globalLog().readAfter(before, 100)).as("events after the running append wait for it").isEmpty();
            assertThat(store.globalLog().countAfter(before)).as("the lag counts what waits").isEqualTo(5);
            var holdUp = store.globalLog().holdUp();
            assertThat(holdUp).hasValueSatisfying(h -> {
                assertThat(h.applicationName()).isEqualTo("a slow appender");
                assertThat(h.state()).isEqualTo("idle in transaction");
                assertThat(h.describe()).contains("pid " + h.pid()).contains("a slow appender");
            });
            open.commit();
        }
        assertThat(store.globalLog().readAfter(before, 100)).as("once it commits, all of them").hasSize(6);
        assertThat(store.globalLog().holdUp()).isEmpty();
    }

    /** A session that holds a transaction id (a temporary table is a write) and stays idle in its transaction. */
    private static Connection idleInTransactionWithATransactionId(TestDatabase database) throws Exception {
        Connection c = DriverManager.getConnection(database.jdbcUrl(), database.user(), database.password());
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
            s.execute("CREATE TEMP TABLE held (i int)");
            s.execute("SELECT pg_current_xact_id()");
        }
        return c;
    }
}
