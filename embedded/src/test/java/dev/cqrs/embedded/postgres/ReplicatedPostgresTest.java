package dev.cqrs.embedded.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A primary and a streaming standby: failover with and without synchronous replication. */
@org.junit.jupiter.api.Tag("soak") // ./cqrs soak: long fault-infrastructure runs, not in the default suite
class ReplicatedPostgresTest {

    @Test
    @Timeout(120)
    void aSynchronousFailoverUnderWritesKeepsEveryAcknowledgedCommitAndTheUrlFollowsTheNewPrimary() throws Exception {
        try (ReplicatedPostgres postgres = ReplicatedPostgres.start(ReplicationMode.SYNCHRONOUS)) {
            TestDatabase db = postgres.createDatabase("sync_failover");
            execute(db.jdbcUrl(), "CREATE TABLE acknowledged (id int PRIMARY KEY)");
            Set<Integer> acknowledged = ConcurrentHashMap.newKeySet();
            AtomicInteger next = new AtomicInteger();
            AtomicInteger failures = new AtomicInteger();
            AtomicBoolean writing = new AtomicBoolean(true);
            CountDownLatch start = new CountDownLatch(1);
            List<Thread> writers = new ArrayList<>();
            for (int w = 0; w < 4; w++) {
                writers.add(Thread.ofPlatform().start(() -> {
                    await(start);
                    while (writing.get()) {
                        int id = next.incrementAndGet();
                        try (Connection connection = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
                             PreparedStatement insert = connection.prepareStatement("INSERT INTO acknowledged VALUES (?)")) {
                            insert.setInt(1, id);
                            insert.executeUpdate(); // autocommit: returned means committed, synchronously on the standby
                            acknowledged.add(id);
                        } catch (SQLException e) {
                            failures.incrementAndGet(); // the primary died under it: outcome unknown, not acknowledged
                        }
                    }
                }));
            }
            start.countDown();
            awaitSize(acknowledged, 200);

            ReplicatedPostgres.Failover failover = postgres.failover();

            int acknowledgedAtFailover = acknowledged.size();
            awaitSize(acknowledged, acknowledgedAtFailover + 200); // the same URL reaches the promoted node
            writing.set(false);
            for (Thread writer : writers) {
                writer.join(TimeUnit.SECONDS.toMillis(30));
            }
            assertThat(failover.newPrimaryPort()).isNotEqualTo(failover.oldPrimaryPort());
            assertThat(failover.oldPrimaryPort()).as("node a starts as the primary").isEqualTo(postgres.ports().getFirst());
            assertThat(postgres.standby()).as("no standby until one is rebuilt").isEmpty();
            Set<Integer> stored = ids(db.jdbcUrl(), "acknowledged");
            Set<Integer> lost = new java.util.TreeSet<>(acknowledged);
            lost.removeAll(stored);
            assertThat(lost).as("acknowledged commits missing on the promoted standby (%s)", failover).isEmpty();
            System.out.printf("synchronous failover: %d commits acknowledged (%d before the failover), %d failed while it"
                    + " happened, none lost; %s%n", acknowledged.size(), acknowledgedAtFailover, failures.get(), failover);
        }
    }

    @Test
    @Timeout(120)
    void anAsynchronousFailoverAfterTheStandbyWasCutOffLosesTheCommitsSinceAndReissuesTheirTransactionIds() throws Exception {
        try (ReplicatedPostgres postgres = ReplicatedPostgres.start(ReplicationMode.ASYNCHRONOUS)) {
            TestDatabase db = postgres.createDatabase("async_failover");
            execute(db.jdbcUrl(), "CREATE TABLE commits (id int PRIMARY KEY, xid bigint NOT NULL)");
            List<Long> keptXids = insert(db.jdbcUrl(), 1, 100);
            postgres.awaitStandbyCaughtUp(Duration.ofSeconds(30));

            postgres.detachStandby();
            List<Long> lostXids = insert(db.jdbcUrl(), 101, 150); // acknowledged by the primary alone
            ReplicatedPostgres.Failover failover = postgres.failover();

            Set<Integer> stored = ids(db.jdbcUrl(), "commits");
            assertThat(stored).as("the commits the standby had").hasSize(100).allMatch(id -> id <= 100);
            assertThat(failover.walBytesLost()).as("WAL the standby never received").isPositive();
            long reissued = insert(db.jdbcUrl(), 1_001, 1_001).getFirst();
            assertThat(reissued).as("the first transaction id after the failover, against those lost (%s .. %s)",
                    lostXids.getFirst(), lostXids.getLast()).isLessThanOrEqualTo(lostXids.getLast());
            assertThat(reissued).isGreaterThan(keptXids.getLast());

            postgres.rebuildStandby();
            postgres.setMode(ReplicationMode.SYNCHRONOUS);
            insert(db.jdbcUrl(), 2_000, 2_009);
            PostgresServer standby = postgres.standby().orElseThrow();
            String standbyUrl = standby.jdbcUrl(db.name());
            assertThat(ids(standbyUrl, "commits")).as("the rebuilt standby, read directly").contains(2_000, 2_009, 1_001, 100);
            System.out.printf("asynchronous failover: 50 commits lost (transaction ids %d..%d), the new primary's first"
                    + " transaction id %d; %s%n", lostXids.getFirst(), lostXids.getLast(), reissued, failover);
        }
    }

    /** Inserts ids {@code from..to}, one transaction each, and returns their transaction ids. */
    private static List<Long> insert(String url, int from, int to) throws SQLException {
        List<Long> xids = new ArrayList<>();
        try (Connection connection = DriverManager.getConnection(url, "postgres", "");
             PreparedStatement insert = connection.prepareStatement(
                     "INSERT INTO commits VALUES (?, pg_current_xact_id()::text::bigint) RETURNING xid")) {
            for (int id = from; id <= to; id++) {
                insert.setInt(1, id);
                try (ResultSet result = insert.executeQuery()) {
                    result.next();
                    xids.add(result.getLong(1));
                }
            }
        }
        return xids;
    }

    private static Set<Integer> ids(String url, String table) throws SQLException {
        Set<Integer> ids = new java.util.TreeSet<>();
        try (Connection connection = DriverManager.getConnection(url, "postgres", "");
             Statement statement = connection.createStatement();
             ResultSet result = statement.executeQuery("SELECT id FROM " + table)) {
            while (result.next()) {
                ids.add(result.getInt(1));
            }
        }
        return ids;
    }

    private static void execute(String url, String sql) throws SQLException {
        try (Connection connection = DriverManager.getConnection(url, "postgres", "");
             Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    private static void awaitSize(Set<Integer> set, int size) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (set.size() < size && System.nanoTime() < deadline) {
            TimeUnit.MILLISECONDS.sleep(20);
        }
        assertThat(set).as("commits acknowledged within 60 s").hasSizeGreaterThanOrEqualTo(size);
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the writers' start was not given within 30 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
