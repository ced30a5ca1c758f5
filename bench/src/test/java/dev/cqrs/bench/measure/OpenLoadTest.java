package dev.cqrs.bench.measure;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Set;
import org.junit.jupiter.api.Test;

class OpenLoadTest {

    @Test
    void operationsAreDueOnTheClockWhateverTheOthersTake() {
        Set<Integer> done = ConcurrentHashMap.newKeySet();
        long[] due = new long[20];

        // 200/s for 100 ms: 20 operations 5 ms apart; every 5th takes 30 ms, which the other threads absorb.
        OpenLoad.Result result = OpenLoad.run("test", 4, 200, Duration.ofMillis(100), (k, dueNanos) -> {
            due[k] = dueNanos;
            if (k % 5 == 0) {
                Thread.sleep(30);
            }
            done.add(k);
        });

        assertThat(result.operations()).isEqualTo(20);
        assertThat(done).hasSize(20);
        for (int k = 1; k < 20; k++) {
            assertThat(due[k] - due[k - 1]).isBetween(4_900_000L, 5_100_000L);
        }
        assertThat(result.lateness().count()).isEqualTo(20);
        assertThat(OpenLoad.operations(1_000, Duration.ofSeconds(4))).isEqualTo(4_000);
    }

    @Test
    void aLoadThatCannotKeepUpSaysSo() {
        OpenLoad.Result result = OpenLoad.run("slow", 1, 1_000, Duration.ofMillis(50), (k, due) -> Thread.sleep(2));

        assertThat(result.keptUp()).isFalse();
        assertThat(result.lateness().maxNanos()).isGreaterThan(20_000_000L);
    }
}
