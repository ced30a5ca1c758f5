package dev.cqrs.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cqrs.core.RawEvent;
import dev.cqrs.embedded.kafka.KafkaBroker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The relay as a process of its own, killed with SIGKILL. */
class RelayProcessTest {

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
        Thread[] writers = support.write(50_000, 4);
        ThreadLocalRandom random = ThreadLocalRandom.current();
        int kills = 0;
        int killedWhilePublishing = 0;
        long budget = System.nanoTime() + Duration.ofMinutes(6).toNanos();
        while (killedWhilePublishing < 10 || isAlive(writers)) {
            assertThat(System.nanoTime()).as("ten kills of a publishing relay within the time budget (so far %d kills,"
                    + " %d while publishing)", kills, killedWhilePublishing).isLessThan(budget);
            Path log = logs.resolve("relay-" + kills + ".log");
            RelayProcess relay = RelayProcess.start(support.db, support.relaySettings(BOOTSTRAP), log);
            if (relay.awaitLog("resumes after global position", 1, Duration.ofSeconds(30))) {
                Thread.sleep(random.nextInt(1_500));
                killedWhilePublishing++;
            }
            relay.kill();
            kills++;
        }
        RelayTestSupport.join(writers);
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
        Thread[] writers = support.write(5_000, 2);
        Thread.sleep(1_000);
        assertThat(Files.readString(standby.log)).doesNotContain("is the leader");
        leader.kill();
        long killed = System.nanoTime();
        assertThat(standby.awaitLog("resumes after global position", 1, Duration.ofSeconds(15))).isTrue();
        Duration takeover = Duration.ofNanos(System.nanoTime() - killed);
        RelayTestSupport.join(writers);
        List<RawEvent> stored = support.all();
        Published seen = Published.consume(BOOTSTRAP, support.topics(), Duration.ofSeconds(60),
                p -> p.events.size() >= stored.size());
        standby.kill();
        seen.assertExactlyOnceInOrder(stored);
        assertThat(takeover).isLessThan(Duration.ofSeconds(10));
        System.out.printf("process failover: the standby resumed publishing %d ms after the leader was killed%n", takeover.toMillis());
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
