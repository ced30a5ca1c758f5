package dev.cqrs.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cqrs.core.RawEvent;
import dev.cqrs.embedded.kafka.KafkaBroker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The relay as a process of its own, killed with SIGKILL. */
class RelayProcessTest {

    /** Kills of a publishing relay in the SIGKILL test: three by default; {@code ./cqrs soak} runs ten. */
    private static final int KILLS = Integer.getInteger("cqrs.crash.kills", 3);

    private static final String BOOTSTRAP = KafkaBroker.shared().bootstrapServers();
    private final RelayTestSupport support = new RelayTestSupport("relay_process");

    @TempDir
    Path logs;

    @AfterEach
    void close() {
        support.close();
    }

    @Test
    void aRelayProcessKilledWithSigkillAtRandomPointsNeitherLosesNorDuplicatesAnEvent() throws Exception {
        // The writers go on until the kills are done: a kill only counts if the relay had events to publish.
        java.util.concurrent.atomic.AtomicBoolean killsDone = new java.util.concurrent.atomic.AtomicBoolean();
        Thread[] writers = support.write(2_000 * KILLS, 4, () -> !killsDone.get());
        ThreadLocalRandom random = ThreadLocalRandom.current();
        int kills = 0;
        int killedWhilePublishing = 0;
        // The store's head when the previous relay was killed; the next relay's resume position tells whether
        // that relay had published all of it (then it was idle, and its kill does not count).
        long headAtLastKill = -1;
        long budget = System.nanoTime() + Duration.ofSeconds(36L * KILLS).toNanos();
        while (killedWhilePublishing < KILLS) {
            assertThat(System.nanoTime()).as("%d kills of a publishing relay within the time budget (so far %d kills,"
                    + " %d while publishing)", KILLS, kills, killedWhilePublishing).isLessThan(budget);
            Path log = logs.resolve("relay-" + kills + ".log");
            RelayProcess relay = RelayProcess.start(support.db, support.relaySettings(BOOTSTRAP), log);
            boolean publishing = relay.awaitLog("resumes after global position", 1, Duration.ofSeconds(30));
            if (publishing) {
                long resumedAt = relay.resumePosition();
                if (headAtLastKill > resumedAt) {
                    killedWhilePublishing++;
                }
                Thread.sleep(random.nextInt(1_500));
            }
            headAtLastKill = publishing ? support.store.globalLog().headPosition() : -1;
            relay.kill();
            kills++;
        }
        killsDone.set(true);
        RelayTestSupport.join(writers);
        assertThat(support.writeErrors()).as("appends that failed (the last: %s)", support.lastWriteError()).isZero();
        assertThat(support.all()).as("what the writers wrote").hasSizeGreaterThanOrEqualTo(2_000 * KILLS);
        List<RawEvent> stored = support.all();
        try (Relay last = Relay.start(support.store, support.relayConfig(BOOTSTRAP))) {
            Published seen = Published.settled(BOOTSTRAP, support.topics(), stored.size(), Duration.ofSeconds(120));
            seen.assertExactlyOnceInOrder(stored);
            System.out.printf("relay process crash test: %d SIGKILLs (%d while publishing); %d events published exactly once%n",
                    kills, killedWhilePublishing, stored.size());
        }
    }

    @Test
    void aStandbyProcessLeadsWithinSecondsWhenTheLeaderIsKilled() throws Exception {
        RelayProcess leader = RelayProcess.start(support.db, support.relaySettings(BOOTSTRAP), logs.resolve("leader.log"));
        assertThat(leader.awaitLog("resumes after global position", 1, Duration.ofSeconds(30))).isTrue();
        RelayProcess standby = RelayProcess.start(support.db, support.relaySettings(BOOTSTRAP), logs.resolve("standby.log"));
        assertThat(standby.awaitLog("Relay process started", 1, Duration.ofSeconds(30))).isTrue();
        java.util.concurrent.atomic.AtomicBoolean failedOver = new java.util.concurrent.atomic.AtomicBoolean();
        Thread[] writers = support.write(5_000, 2, () -> !failedOver.get());
        // The leader is killed in the middle of its work: it has published (committed transactions, so the
        // standby resumes from a checkpoint of its, not from the start), and it has events left to publish.
        Published early = Published.consume(BOOTSTRAP, support.topics(), Duration.ofSeconds(60), p -> p.events.size() >= 500);
        assertThat(early.events).as("events the leader published before it was killed").hasSizeGreaterThanOrEqualTo(500);
        assertThat(Files.readString(standby.log)).doesNotContain("is the leader");
        // Frozen first (possibly in the middle of a transaction), then killed once the writers have added more:
        // it dies with events to publish that it cannot have published.
        leader.pause();
        long headAtPause = support.store.globalLog().headPosition();
        long moreWritten = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (support.store.globalLog().headPosition() <= headAtPause) {
            assertThat(System.nanoTime()).as("the writers go on").isLessThan(moreWritten);
            Thread.sleep(10);
        }
        long headAtKill = support.store.globalLog().headPosition();
        leader.kill();
        long killed = System.nanoTime();
        assertThat(standby.awaitLog("resumes after global position", 1, Duration.ofSeconds(15))).isTrue();
        Duration takeover = Duration.ofNanos(System.nanoTime() - killed);
        long resumedAt = standby.resumePosition();
        assertThat(resumedAt).as("the standby resumes from the leader's checkpoint").isPositive();
        assertThat(headAtKill).as("the leader had events left to publish when it was killed (it had published up to %d)",
                resumedAt).isGreaterThan(resumedAt);
        failedOver.set(true);
        RelayTestSupport.join(writers);
        assertThat(support.writeErrors()).as("appends that failed").isZero();
        List<RawEvent> stored = support.all();
        Published seen = Published.settled(BOOTSTRAP, support.topics(), stored.size(), Duration.ofSeconds(60));
        standby.kill();
        seen.assertExactlyOnceInOrder(stored);
        assertThat(takeover).isLessThan(Duration.ofSeconds(10));
        System.out.printf("process failover: the standby resumed publishing %d ms after the leader was killed%n", takeover.toMillis());
    }

    /**
     * The leader pauses (SIGSTOP: a long GC, a frozen VM) while writers go on. Its lock's session is idle but
     * its connection stays open, so without a lease the server would keep the lock for hours and nothing
     * would be published. With the lease, the standby leads within about one lease; when the zombie comes
     * back (SIGCONT) it finds its lock gone and its producer fenced, and nothing is published twice.
     */
    @Test
    void aPausedLeaderLosesItsLeaseAndComesBackFencedWithoutPublishingTwice() throws Exception {
        Map<String, Object> settings = support.relaySettings(BOOTSTRAP);
        settings.put(RelayConfig.LOCK_LEASE_MS, 4_000);
        RelayProcess leader = RelayProcess.start(support.db, settings, logs.resolve("leader.log"));
        assertThat(leader.awaitLog("resumes after global position", 1, Duration.ofSeconds(30))).isTrue();
        RelayProcess standby = RelayProcess.start(support.db, settings, logs.resolve("standby.log"));
        assertThat(standby.awaitLog("Relay process started", 1, Duration.ofSeconds(30))).isTrue();
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        Thread[] writers = support.write(2_000, 2, () -> !done.get());
        // Paused in the middle of its work: it has published, and the writers go on.
        Published early = Published.consume(BOOTSTRAP, support.topics(), Duration.ofSeconds(60), p -> p.events.size() >= 200);
        assertThat(early.events).as("events the leader published before it was paused").hasSizeGreaterThanOrEqualTo(200);
        leader.pause();
        long paused = System.nanoTime();
        try {
            assertThat(standby.awaitLog("resumes after global position", 1, Duration.ofSeconds(30)))
                    .as("the standby leads while the leader is paused").isTrue();
            Duration takeover = Duration.ofNanos(System.nanoTime() - paused);
            // The zombie comes back once the standby has published above where it resumed: both have published
            // under the same transactional id, and the zombie still holds what it had begun before the pause.
            awaitPublishedAbove(standby.resumePosition(), "the standby publishes while the leader is paused");
            leader.resume();
            assertThat(leader.awaitLog("stopped leading", 1, Duration.ofSeconds(30))).as("the zombie stands down").isTrue();
            assertThat(Files.readString(leader.log)).as("the zombie says why it stood down")
                    .containsAnyOf("lost the leader lock", "fenced: another relay");
            // Publishing goes on past the zombie's return: what was written after it stood down reaches the topic.
            awaitPublishedAbove(support.store.globalLog().headPosition(), "the standby publishes on after the zombie is back");
            done.set(true);
            RelayTestSupport.join(writers);
            assertThat(support.writeErrors()).as("appends that failed").isZero();
            List<RawEvent> stored = support.all();
            Published.settled(BOOTSTRAP, support.topics(), stored.size(), Duration.ofSeconds(60)).assertExactlyOnceInOrder(stored);
            assertThat(takeover).as("the takeover after the pause").isLessThan(Duration.ofSeconds(15));
            System.out.printf("paused leader: the standby led %d ms after the pause; %d events exactly once%n", takeover.toMillis(),
                    stored.size());
        } finally {
            leader.resume();
            leader.kill();
            standby.kill();
        }
    }

    /** Waits until the test's topics hold an event above {@code position}. */
    private void awaitPublishedAbove(long position, String what) {
        Published seen = Published.consume(BOOTSTRAP, support.topics(), Duration.ofSeconds(60),
                p -> p.events.stream().anyMatch(e -> e.globalPosition() > position));
        assertThat(seen.events).as("%s: an event above global position %d", what, position)
                .anySatisfy(e -> assertThat(e.globalPosition()).isGreaterThan(position));
    }

    private static boolean isAlive(Thread[] threads) {
        for (Thread thread : threads) {
            if (thread.isAlive()) {
                return true;
            }
        }
        return false;
    }
}
