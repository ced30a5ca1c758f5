package dev.cqrs.projector;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cqrs.core.AppendResult;
import dev.cqrs.core.CommandMetadata;
import dev.cqrs.core.RawEvent;
import dev.cqrs.core.contract.ContractEvent;
import dev.cqrs.embedded.process.ProcessSignals;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.common.GroupState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exactly-once application under redelivery: records a projector had already written come again (after a
 * rebalance, or from a paused process that comes back), and must be skipped; a batch that fails in
 * PostgreSQL comes again and is applied one record at a time, the bad one set aside.
 */
class ProjectorRedeliveryTest {

    private final ProjectorTestSupport support = new ProjectorTestSupport("redelivery");

    @TempDir
    Path logs;

    @AfterEach
    void close() {
        support.close();
    }

    /**
     * Two projector processes share the partitions while writers go on; one is paused (SIGSTOP) past its
     * session timeout, so the other takes its partitions and applies again what the paused one had written
     * but not committed in Kafka; then the paused one resumes, a zombie, and flushes what it had buffered.
     * The non-idempotent totals must still equal the fold of the store, and the processes must have skipped
     * records (that is the redelivery this test is about; without it the test proves nothing).
     */
    @Test
    void aProjectorPausedPastItsSessionTimeoutAndResumedAppliesNothingTwice() throws Exception {
        Map<String, Object> settings = support.projectorSettings();
        settings.put("streams.consumer.session.timeout.ms", 3_000);
        settings.put("streams.consumer.heartbeat.interval.ms", 500);
        AtomicBoolean done = new AtomicBoolean();
        Thread[] writers = support.write(4_000, 2, () -> !done.get());
        Path logA = logs.resolve("a.log");
        Path logB = logs.resolve("b.log");
        Process a = ProjectorTestSupport.startProjectorProcess(support.topic, settings, logA);
        Process b = ProjectorTestSupport.startProjectorProcess(support.topic, settings, logB);
        List<String> pauses = new ArrayList<>();
        String group = new Generation("counters", 1).applicationId(support.prefix);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, ProjectorTestSupport.bootstrap()))) {
            awaitProcessing(logA, a);
            awaitProcessing(logB, b);
            awaitMembers(admin, group, 2, "both processes are in the group");
            for (int round = 0; round < 3 && ProjectorTestSupport.skipped(logA) + ProjectorTestSupport.skipped(logB) == 0; round++) {
                long before = ProjectorTestSupport.processed(logB);
                ProcessSignals.pause(a.pid());
                long paused = System.nanoTime();
                // Past the session timeout the coordinator drops the paused member: the other process then holds
                // every partition, and goes on.
                awaitMembers(admin, group, 1, "the paused process is dropped from the group after its session timeout");
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (ProjectorTestSupport.processed(logB) <= before) {
                    assertThat(System.nanoTime()).as("the other process goes on while one is paused").isLessThan(deadline);
                    Thread.sleep(100);
                }
                ProcessSignals.resume(a.pid());
                pauses.add("paused " + Duration.ofNanos(System.nanoTime() - paused).toMillis() + " ms");
                // The zombie runs on from where it froze, finds itself out of the group and joins it again: by then
                // it has flushed, or dropped, what it had buffered.
                awaitMembers(admin, group, 2, "the resumed process is back in the group");
            }
            done.set(true);
            ProjectorTestSupport.join(writers);
            long head = support.headPosition();
            // The two processes apply the rest; a reader that runs no projection waits for them.
            try (ReadYourWrites check = ReadYourWrites.connect(new ProjectorConfig(support.projectorSettings()),
                    List.of(support.counterProjection()))) {
                assertThat(check.awaitPosition("counters", head, Duration.ofSeconds(120)))
                        .as("the read model reaches the store's head; the processes' output:%n%s%n%s",
                                ProjectorTestSupport.tail(logA, 20), ProjectorTestSupport.tail(logB, 20)).isTrue();
                assertThat(support.readModel()).as("the read model after %s", pauses).isEqualTo(support.foldOfTheStore());
            }
            long skipped = ProjectorTestSupport.skipped(logA) + ProjectorTestSupport.skipped(logB);
            assertThat(skipped).as("records redelivered and skipped as applied (%s)", pauses).isPositive();
            System.out.printf("paused projector: %s; %d records skipped as already applied; the read model equals the fold of %d"
                    + " events%n", pauses, skipped, support.all().size());
        } finally {
            if (ProcessSignals.isPaused(a.pid())) {
                ProcessSignals.resume(a.pid());
            }
            a.destroyForcibly();
            b.destroyForcibly();
            assertThat(a.waitFor(30, TimeUnit.SECONDS) && b.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
    }

    /**
     * One record whose statements break a constraint, in the middle of a batch of 500: the batch fails in
     * PostgreSQL and comes again, its records are applied one at a time, and only the bad one is set aside
     * (at the SQL stage). Every other row equals the fold of the store without it.
     */
    @Test
    void aRecordWhoseStatementsFailInsideABatchOfFiveHundredIsTheOnlyOneSetAside() throws Exception {
        Map<String, Object> settings = support.projectorSettings();
        settings.put(ProjectorConfig.BATCH_MAX_EVENTS, 500);
        // Every event is on the topic before the projector starts, so its first polls buffer all 500 well within
        // these intervals; only then may a timed flush or a commit write them.
        settings.put(ProjectorConfig.FLUSH_INTERVAL_MS, 3_000L);
        settings.put(ProjectorConfig.COMMIT_INTERVAL_MS, 3_000L);
        List<AppendResult> appended = new ArrayList<>();
        IntStream.range(0, 250).forEach(i -> appended.add(support.counters.append("c-" + (i % 40),
                List.of(new ContractEvent.Incremented(1 + i % 5)), Optional.empty(), CommandMetadata.create())));
        AppendResult bad = support.counters.append("bad", List.of(new ContractEvent.Renamed("sql-boom")), Optional.empty(),
                CommandMetadata.create());
        IntStream.range(0, 249).forEach(i -> appended.add(support.counters.append("c-" + (i % 40),
                List.of(new ContractEvent.Incremented(1 + i % 5)), Optional.empty(), CommandMetadata.create())));
        support.awaitPublished(Duration.ofSeconds(60));
        try (Projector projector = Projector.builder(new ProjectorConfig(settings)).projection(support.counterProjection()).start()) {
            assertThat(projector.readYourWrites().await("counters", support.headPosition(), Duration.ofSeconds(120)))
                    .isEqualTo(ReadYourWrites.Outcome.REACHED);
            List<DeadLetter> letters = projector.deadLetters("counters");
            assertThat(letters).as("the dead letters").hasSize(1).first().satisfies(letter -> {
                assertThat(letter.stage()).isEqualTo("SQL");
                assertThat(letter.event()).hasValueSatisfying(e -> assertThat(e.globalPosition()).isEqualTo(bad.lastPosition()));
            });
            List<RawEvent> others = support.all().stream().filter(e -> e.globalPosition() != bad.lastPosition()).toList();
            assertThat(support.readModel()).as("every other row").isEqualTo(support.foldOf(others));
            assertThat(projector.status("counters").deadLettered()).isEqualTo(1);
        }
    }

    /** Waits until the consumer group is stable with {@code members} members. */
    private static void awaitMembers(Admin admin, String group, int members, String what) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            ConsumerGroupDescription description = admin.describeConsumerGroups(List.of(group)).all().get(30, TimeUnit.SECONDS).get(group);
            if (description.members().size() == members && description.groupState() == GroupState.STABLE) {
                return;
            }
            assertThat(System.nanoTime()).as("in time: %s (the group has %d members, %s)", what, description.members().size(),
                    description.groupState()).isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    private static void awaitProcessing(Path log, Process process) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (ProjectorTestSupport.processed(log) == 0) {
            assertThat(process.isAlive()).as("the projector process runs; its output:%n%s", ProjectorTestSupport.tail(log, 30)).isTrue();
            assertThat(System.nanoTime()).as("the projector process starts processing").isLessThan(deadline);
            Thread.sleep(100);
        }
    }
}
