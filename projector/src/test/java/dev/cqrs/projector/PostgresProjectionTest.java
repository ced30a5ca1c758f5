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
