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
            String group = Projector.applicationId(support.prefix, "counters", 1);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (true) {
                var ends = kafka.endOffsets(partitions);
                var committed = kafka.committed(group, partitions);
                if (partitions.stream().allMatch(p -> committed.getOrDefault(p, 0L) >= ends.getOrDefault(p, 0L))) {
                    break;
                }
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
     * Read-your-writes across a rebuild: a client writes, waits for its position, reads; again and again while
     * a rebuilt generation takes over. Once a wait said "reached", the read must show the write: the switch
     * must never hand readers a generation that is behind the one they waited on.
     */
    @Test
    void aReadAfterAWaitNeverGoesBackwardsAcrossARebuild() throws Exception {
        try (Projector projector = Projector.builder(support.projectorConfig()).projection(support.counterProjection()).start()) {
            ProjectorTestSupport.join(support.write(20_000, 2));
            assertThat(projector.readYourWrites().awaitPosition("counters", support.headPosition(), Duration.ofSeconds(60))).isTrue();
            Thread[] background = support.write(1_000, 2);
            projector.rebuild("counters");
            java.util.List<String> backwards = new java.util.ArrayList<>();
            int reads = 0;
            int afterTheSwitch = 0;
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            while (afterTheSwitch < 100) {
                assertThat(System.nanoTime()).as("the rebuild finishes in time (%d reads so far)", reads).isLessThan(deadline);
                String id = "rw-" + reads;
                AppendResult written = support.counters.append(id, List.of(new ContractEvent.Incremented(5)), Optional.empty(),
                        CommandMetadata.create());
                assertThat(projector.readYourWrites().await("counters", written.lastPosition(), Duration.ofSeconds(30)))
                        .isEqualTo(ReadYourWrites.Outcome.REACHED);
                ProjectorTestSupport.Counter row = support.readModel(id);
                if (row == null || row.total() != 5) {
                    backwards.add(id + " (generation " + projector.status("counters").generation() + "): " + row);
                }
                reads++;
                if (projector.rebuildProgress("counters").orElseThrow().done()) {
                    afterTheSwitch++;
                }
            }
            ProjectorTestSupport.join(background);
            assertThat(projector.status("counters").generation()).isEqualTo(2);
            assertThat(backwards).as("reads, after a wait said reached, that did not show the write (of %d)", reads).isEmpty();
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
