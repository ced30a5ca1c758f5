package dev.cqrs.projector;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The projector, as a process of its own, killed with SIGKILL at random points while events are written
 * and published (5,000 per kill, and more until the kills are done); then the read model must equal the
 * fold of the event store, row by row. The counter's totals are not idempotent, so an event applied twice
 * or skipped would show. Three kills of a processing projector by default (a kill before it got going does
 * not count); {@code ./cqrs soak} runs ten ({@code -Dcqrs.crash.kills=10}).
 */
class ProjectorCrashTest {

    /** Kills of a processing projector; {@code ./cqrs soak} asks for more. */
    private static final int KILLS = Integer.getInteger("cqrs.crash.kills", 3);
    private static final int EVENTS_PER_KILL = 5_000;

    private final ProjectorTestSupport support = new ProjectorTestSupport("projector_crash");

    @TempDir
    Path logs;

    @AfterEach
    void close() {
        support.close();
    }

    @Test
    void aProjectorKilledAtRandomPointsLeavesTheReadModelEqualToTheFoldOfTheStore() throws Exception {
        Map<String, Object> settings = crashSettings();
        // The writers go on (slowly, once 50,000 events are written) until the kills are done: a projector
        // is only killed while processing if there is something to process.
        java.util.concurrent.atomic.AtomicBoolean killsDone = new java.util.concurrent.atomic.AtomicBoolean();
        Thread[] writers = support.write(EVENTS_PER_KILL * KILLS, 3, () -> !killsDone.get());
        ThreadLocalRandom random = ThreadLocalRandom.current();
        int kills = 0;
        int killedWhileProcessing = 0;
        long budget = System.nanoTime() + Duration.ofSeconds(48L * KILLS).toNanos();
        while (killedWhileProcessing < KILLS || ProjectorTestSupport.isAlive(writers)) {
            killsDone.set(killedWhileProcessing >= KILLS);
            assertThat(System.nanoTime()).as("%d kills of a processing projector within the time budget"
                    + " (so far %d kills, %d while processing)", KILLS, kills, killedWhileProcessing).isLessThan(budget);
            Path log = logs.resolve("projector-" + kills + ".log");
            Process process = ProjectorTestSupport.startProjectorProcess(support.topic, settings, log);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (ProjectorTestSupport.processed(log) == 0 && process.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            Thread.sleep(random.nextInt(2_500));
            long before = ProjectorTestSupport.processed(log);
            process.destroyForcibly();
            assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
            if (before > 0) {
                killedWhileProcessing++;
            }
            kills++;
        }
        ProjectorTestSupport.join(writers);
        try (Projector projector = Projector.builder(new ProjectorConfig(settings)).projection(support.counterProjection()).start()) {
            assertThat(projector.readYourWrites().awaitPosition("counters", support.headPosition(), Duration.ofSeconds(120))).isTrue();
            assertThat(support.all()).hasSizeGreaterThanOrEqualTo(EVENTS_PER_KILL * KILLS);
            Map<String, ProjectorTestSupport.Counter> readModel = support.readModel();
            Map<String, ProjectorTestSupport.Counter> fold = support.foldOfTheStore();
            if (!readModel.equals(fold)) {
                // Which side lost events: the relay (the topic lacks them) or the projector?
                List<dev.cqrs.core.RawEvent> stored = support.all();
                Map<Long, String> where = new java.util.HashMap<>();
                Map<java.util.UUID, Integer> copies = support.topicCopies(stored.size(), where);
                java.util.Set<Long> applied = support.appliedIncrements(1);
                List<String> notApplied = stored.stream().filter(e -> !applied.contains(e.globalPosition()))
                        .filter(e -> e.eventType().contains("Incremented"))
                        .map(e -> e.stream().aggregateId() + "#" + e.sequence().value() + "@" + e.globalPosition() + " in " + where.get(e.globalPosition()))
                        .toList();
                System.out.printf("increments not applied: %d %s%n", notApplied.size(), notApplied.stream().limit(200).toList());
                List<String> notInTopic = stored.stream().filter(e -> !copies.containsKey(e.metadata().eventId()))
                        .map(e -> e.stream() + "#" + e.sequence().value() + "@" + e.globalPosition()).toList();
                long duplicated = copies.values().stream().filter(n -> n > 1).count();
                System.out.printf("read model differs; events not in the topic: %d %s; duplicated in the topic: %d;"
                        + " dead letters: %s%n", notInTopic.size(), notInTopic.stream().limit(50).toList(), duplicated,
                        projector.deadLetters("counters"));
                try (var files = Files.list(logs)) {
                    for (Path file : files.sorted().toList()) {
                        Files.readAllLines(file).stream().filter(line -> (line.contains(" WARN ") || line.contains(" ERROR ")
                                        || line.contains("ReadModelStore") || line.contains("Exception")) && !line.contains("QuorumController")
                                        && !line.contains("Processing exception handler"))
                                .forEach(line -> System.out.println(file.getFileName() + ": " + line));
                    }
                }
            }
            assertThat(readModel).isEqualTo(fold);
            System.out.printf("projector crash test: %d SIGKILLs (%d while processing); the read model equals the fold of %d events%n",
                    kills, killedWhileProcessing, support.all().size());
        }
    }

    /** Quick failure detection, so that a restarted process takes the partitions of the killed one at once. */
    private Map<String, Object> crashSettings() {
        Map<String, Object> settings = support.projectorSettings();
        settings.put("streams.consumer.session.timeout.ms", 6_000);
        settings.put("streams.consumer.heartbeat.interval.ms", 1_000);
        settings.put("streams.producer.transaction.timeout.ms", 4_000);
        // Static membership: the next process takes the killed one's place in the group at once, rather
        // than after its session times out (one process runs at a time, so they can share the id).
        settings.put("streams.consumer.group.instance.id", "crash-test-projector");
        return settings;
    }

}
