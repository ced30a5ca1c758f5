package dev.cqrs.projector;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The read-model database goes back in time while Kafka keeps the group's committed offsets: a restore
 * from a backup, or a failover to an asynchronous standby that lacks the projector's last commits (fault
 * kind 8 of {@code ./cqrs faults}). The read model is the record of what was applied, so every record after
 * its stored positions must be applied again, although Kafka says the group consumed it.
 *
 * <p>"Back in time" is done for real, as a restore would: a consistent copy of the generation's tables
 * (rows and positions, one snapshot) is taken while the projector runs, more events are projected, and the
 * tables are then put back to the copy.
 */
class ReadModelRestoreTest {

    private static final List<String> TABLES = List.of("counters", "applied_events", "cqrs_positions",
            ReadModelDatabase.DEAD_LETTERS);

    private final ProjectorTestSupport support = new ProjectorTestSupport("read_model_restore");
    private final String generation = new Generation("counters", 1).schema();
    private final String backup = "backup_" + UUID.randomUUID().toString().substring(0, 8);

    @AfterEach
    void close() {
        support.close();
    }

    @Test
    void aProjectorStartedOnARestoredReadModelAppliesAgainWhatTheRestoreLost() throws Exception {
        try (Projector projector = start()) {
            projectAll(projector, 1_500);
            takeBackup();
            projectAll(projector, 1_500);
            awaitOffsetsCommittedPastTheBackup();
        }
        restoreBackup();
        assertThat(support.readModel()).as("the restore took rows back").isNotEqualTo(support.foldOfTheStore());

        try (Projector projector = start()) {
            awaitReadModelEqualsTheFold("after a restart on the restored read model");
        }
    }

    @Test
    void aProjectorThatKeepsRunningWhileItsReadModelIsRestoredAppliesAgainWhatTheRestoreLost() throws Exception {
        try (Projector projector = start()) {
            projectAll(projector, 1_500);
            takeBackup();
            projectAll(projector, 1_500);
            restoreBackup();
            ProjectorTestSupport.join(support.write(600, 2));
            awaitReadModelEqualsTheFold("while running through the restore");
        }
    }

    private Projector start() {
        return Projector.builder(support.projectorConfig()).projection(support.counterProjection()).start();
    }

    private void projectAll(Projector projector, int events) throws Exception {
        ProjectorTestSupport.join(support.write(events, 2));
        assertThat(projector.readYourWrites().awaitPosition("counters", support.headPosition(), Duration.ofSeconds(30)))
                .as("the projection reached the head").isTrue();
    }

    /** The restore must take back records whose offsets Kafka has committed, or there is nothing to prove. */
    private void awaitOffsetsCommittedPastTheBackup() throws Exception {
        try (KafkaOffsets kafka = new KafkaOffsets(ProjectorTestSupport.bootstrap())) {
            List<org.apache.kafka.common.TopicPartition> partitions = kafka.partitionsOf(List.of(support.topic));
            String group = new Generation("counters", 1).applicationId(support.prefix);
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (!kafka.allConsumed(group, partitions)) {
                assertThat(System.nanoTime()).as("the group committed every offset within 20 s").isLessThan(deadline);
                Thread.sleep(20);
            }
        }
    }

    /** One snapshot of the generation's tables, as a backup would have it. */
    private void takeBackup() throws Exception {
        try (Connection c = support.db.dataSource().getConnection(); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            s.execute("CREATE SCHEMA " + backup);
            for (String table : TABLES) {
                s.execute("CREATE TABLE " + backup + "." + table + " AS SELECT * FROM " + generation + "." + table);
            }
            c.commit();
        }
    }

    /**
     * Puts the generation's tables back to the backup in one transaction, the positions table locked first:
     * a flush in progress either commits before it or waits and then finds the restored positions.
     */
    private void restoreBackup() throws Exception {
        try (Connection c = support.db.dataSource().getConnection(); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            s.execute("LOCK TABLE " + generation + ".cqrs_positions IN ACCESS EXCLUSIVE MODE");
            for (String table : TABLES) {
                s.execute("DELETE FROM " + generation + "." + table);
                s.execute("INSERT INTO " + generation + "." + table + " SELECT * FROM " + backup + "." + table);
            }
            c.commit();
        }
    }

    private void awaitReadModelEqualsTheFold(String when) throws Exception {
        Map<String, ProjectorTestSupport.Counter> fold = support.foldOfTheStore();
        long deadline = System.nanoTime() + Duration.ofSeconds(25).toNanos();
        Map<String, ProjectorTestSupport.Counter> rows = support.readModel();
        while (!rows.equals(fold) && System.nanoTime() < deadline) {
            Thread.sleep(100);
            rows = support.readModel();
        }
        Map<String, ProjectorTestSupport.Counter> seen = rows;
        List<String> differing = fold.keySet().stream().filter(id -> !fold.get(id).equals(seen.get(id))).toList();
        assertThat(differing).as("rows of the read model " + when + " that differ from the fold of the store within 25 s,"
                + " e.g. " + differing.stream().limit(3).map(id -> id + " " + seen.get(id) + " instead of " + fold.get(id)).toList())
                .isEmpty();
        assertThat(rows).as("the read model " + when).isEqualTo(fold);
    }
}
