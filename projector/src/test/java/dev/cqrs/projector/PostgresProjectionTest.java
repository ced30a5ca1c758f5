package dev.cqrs.projector;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cqrs.core.AppendResult;
import dev.cqrs.core.CommandMetadata;
import dev.cqrs.core.contract.ContractEvent;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A PostgreSQL read model fed by the relay, with read-your-writes, rebuilds and lag. */
class PostgresProjectionTest {

    private final ProjectorTestSupport support = new ProjectorTestSupport("projection");

    @AfterEach
    void close() {
        support.close();
    }

    @Test
    void aQueryThatWaitsForTheReturnedPositionSeesItsOwnWrite() throws Exception {
        try (Projector projector = Projector.builder(support.projectorConfig()).projection(support.counterProjection()).start()) {
            for (int i = 0; i < 20; i++) {
                AppendResult written = support.counters.append("mine-" + i, List.of(new ContractEvent.Incremented(7)),
                        Optional.empty(), CommandMetadata.create());
                assertThat(projector.readYourWrites().awaitPosition("counters", written.lastPosition(), Duration.ofSeconds(30))).isTrue();
                assertThat(support.readModel()).containsEntry("mine-" + i, new ProjectorTestSupport.Counter(7, 1, ""));
            }
            long beyond = support.headPosition() + (1L << 20);
            assertThat(projector.readYourWrites().awaitPosition("counters", beyond, Duration.ofMillis(300))).isFalse();
        }
    }

    /**
     * Kafka Streams commits a task's offsets before it flushes the task's state stores; the read model must
     * still be written first, or a process killed between the two loses events. With no timed flush and a
     * batch larger than the test, rows reach PostgreSQL only on the way to a Kafka commit: once every
     * offset is committed, every row must be there.
     */
    @Test
    void offsetsAreNeverCommittedAheadOfTheReadModel() throws Exception {
        java.util.Map<String, Object> settings = support.projectorSettings();
        settings.put(ProjectorConfig.FLUSH_INTERVAL_MS, 10_000L);
        settings.put(ProjectorConfig.BATCH_MAX_EVENTS, 100_000);
        settings.put(ProjectorConfig.COMMIT_INTERVAL_MS, 100L);
        settings.put("streams.poll.ms", 50);
        try (Projector projector = Projector.builder(new ProjectorConfig(settings)).projection(support.counterProjection()).start();
             KafkaOffsets kafka = new KafkaOffsets(ProjectorTestSupport.bootstrap())) {
            ProjectorTestSupport.join(support.write(600, 2));
            support.awaitPublished(Duration.ofSeconds(60));
            List<org.apache.kafka.common.TopicPartition> partitions = kafka.partitionsOf(List.of(support.topic));
            String group = new Generation("counters", 1).applicationId(support.prefix);
            assertThat(partitions).as("the topic's partitions").isNotEmpty();
            // Consumed means past the high watermark, once the commit markers are in too: the relay's commit
            // returns before its markers reach the partitions, and until then their read_committed end is behind.
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!kafka.allConsumed(group, partitions)) {
                assertThat(System.nanoTime()).as("every offset committed in time").isLessThan(deadline);
                Thread.sleep(20);
            }
            assertThat(support.readModel()).as("the read model once Kafka has committed every offset")
                    .isEqualTo(support.foldOfTheStore());
        }
    }

    @Test
    void theReadModelEqualsTheFoldOfTheStoreRowByRowAndTheLagReachesZero() throws Exception {
        Thread[] writers = support.write(5_000, 3);
        try (Projector projector = Projector.builder(support.projectorConfig()).projection(support.counterProjection()).start()) {
            ProjectorTestSupport.join(writers);
            assertThat(projector.readYourWrites().awaitPosition("counters", support.headPosition(), Duration.ofSeconds(60))).isTrue();
            assertThat(support.readModel()).isEqualTo(support.foldOfTheStore());
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (projector.status("counters").lagRecords() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            ProjectionStatus status = projector.status("counters");
            assertThat(status.lagRecords()).isZero();
            assertThat(status.processed()).isGreaterThanOrEqualTo(support.all().size());
            assertThat(status.generation()).isEqualTo(1);
        }
    }

    /**
     * Read-your-writes across rebuilds: a client writes, waits for its position, reads; again and again while
     * two rebuilt generations take over one after the other, with another writer going on. Once a wait said
     * "reached", that write must stay visible: every later read of it, by the client or by a second reader that
     * reads all the while, must show it. A switch must never hand readers a generation that is behind the one
     * they waited on. Each new generation applies the client's writes 100 ms late (a trigger of the test's own),
     * so that it is often behind the serving one when a switch is decided.
     */
    @Test
    void aReadAfterAWaitNeverGoesBackwardsAcrossARebuild() throws Exception {
        java.util.Map<String, Object> settings = support.projectorSettings();
        settings.put(ProjectorConfig.FLUSH_INTERVAL_MS, 50L);
        // Rows reach PostgreSQL every 50 ms, offsets Kafka every second: Kafka's offsets say little of what a
        // generation has applied, so a switch decided by them lands where the new generation is behind.
        settings.put(ProjectorConfig.COMMIT_INTERVAL_MS, 1_000L);
        try (Projector projector = Projector.builder(new ProjectorConfig(settings)).projection(support.counterProjection()).start()) {
            ProjectorTestSupport.join(support.write(3_000, 2));
            assertThat(projector.readYourWrites().awaitPosition("counters", support.headPosition(), Duration.ofSeconds(60))).isTrue();
            java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
            Thread[] background = support.write(200, 1, () -> !done.get());
            java.util.List<String> reached = new java.util.concurrent.CopyOnWriteArrayList<>();
            java.util.List<String> backwards = new java.util.concurrent.CopyOnWriteArrayList<>();
            // A second reader keeps re-reading what was reached, so that a switch between a wait and a read is seen
            // whenever it happens, not only when it falls between this loop's own wait and read.
            Thread reader = Thread.ofPlatform().name("rebuild-reader").start(() -> {
                try {
                    while (!done.get()) {
                        check(reached, backwards, "(reader)");
                    }
                } catch (Exception e) {
                    backwards.add("the reader failed: " + e);
                }
            });
            for (int generation = 2; generation <= 3; generation++) {
                assertThat(projector.rebuild("counters").generation()).isEqualTo(generation);
                applyThisClientsWritesSlowly(new Generation("counters", generation).schema() + ".counters", reached.size());
                int afterTheSwitch = 0;
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (afterTheSwitch < 5) {
                    assertThat(System.nanoTime()).as("generation %d takes over in time (%d reads so far)", generation, reached.size())
                            .isLessThan(deadline);
                    String id = "rw-" + reached.size();
                    AppendResult written = support.counters.append(id, List.of(new ContractEvent.Incremented(5)), Optional.empty(),
                            CommandMetadata.create());
                    assertThat(projector.readYourWrites().await("counters", written.lastPosition(), Duration.ofSeconds(30)))
                            .isEqualTo(ReadYourWrites.Outcome.REACHED);
                    reached.add(id);
                    check(reached, backwards, "after " + id);
                    if (projector.rebuildProgress("counters").orElseThrow().done()) {
                        afterTheSwitch++;
                    }
                }
                assertThat(projector.status("counters").generation()).isEqualTo(generation);
            }
            done.set(true);
            ProjectorTestSupport.join(background);
            ProjectorTestSupport.join(reader);
            assertThat(backwards).as("writes a wait said were reached, missing from a later read (of %d)", reached.size()).isEmpty();
        }
    }

    /**
     * Makes the rebuilt generation apply this client's writes from {@code rw-<from>} on 100 ms late (the earlier
     * ones it replays at full speed): a trigger of the test's own in PostgreSQL, so that the new generation is
     * behind the serving one for a while after each of them, and a switch in that while would hand readers a
     * generation that lacks what they waited for.
     */
    private void applyThisClientsWritesSlowly(String table, int from) throws Exception {
        try (java.sql.Connection c = support.db.dataSource().getConnection(); java.sql.Statement s = c.createStatement()) {
            s.execute("CREATE FUNCTION " + table + "_slowly() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                    + " IF NEW.id LIKE 'rw-%' AND substr(NEW.id, 4)::int >= " + from + " THEN PERFORM pg_sleep(0.1); END IF;"
                    + " RETURN NEW; END $$");
            s.execute("CREATE TRIGGER slowly BEFORE INSERT OR UPDATE ON " + table
                    + " FOR EACH ROW EXECUTE FUNCTION " + table + "_slowly()");
        }
    }

    /** The last write reached and the twenty reached before it, as readers see them now: each must be there. */
    private void check(java.util.List<String> reached, java.util.List<String> backwards, String when) throws Exception {
        List<String> all = List.copyOf(reached);
        List<String> recent = all.subList(Math.max(0, all.size() - 21), all.size());
        if (recent.isEmpty()) {
            return;
        }
        java.util.Map<String, ProjectorTestSupport.Counter> rows = support.readModel(recent);
        for (String seen : recent) {
            if (rows.get(seen) == null || rows.get(seen).total() != 5) {
                backwards.add(seen + " " + when + " (" + rows.get(seen) + ")");
            }
        }
    }

    @Test
    void aRebuildWhileWritesGoOnEndsWithTheOldModelPlusTheLaterEvents() throws Exception {
        try (Projector projector = Projector.builder(support.projectorConfig()).projection(support.counterProjection()).start()) {
            ProjectorTestSupport.join(support.write(4_000, 2));
            assertThat(projector.readYourWrites().awaitPosition("counters", support.headPosition(), Duration.ofSeconds(60))).isTrue();
            Thread[] writers = support.write(4_000, 2);
            RebuildProgress started = projector.rebuild("counters");
            assertThat(started.generation()).isEqualTo(2);
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            while (!projector.rebuildProgress("counters").orElseThrow().done() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            RebuildProgress finished = projector.rebuildProgress("counters").orElseThrow();
            assertThat(finished.done()).isTrue();
            assertThat(finished.consumed()).isPositive();
            ProjectorTestSupport.join(writers);
            assertThat(projector.readYourWrites().awaitPosition("counters", support.headPosition(), Duration.ofSeconds(60))).isTrue();
            assertThat(projector.status("counters").generation()).isEqualTo(2);
            assertThat(support.readModel()).isEqualTo(support.foldOfTheStore());
        }
    }
}
