package dev.cqrs.codec.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.RepeatedTest;

class BackoffTest {

    private final Backoff backoff = new Backoff(10, Duration.ofMillis(100), Duration.ofSeconds(2));

    @RepeatedTest(20)
    void theWaitDoublesWithJitterUpToTheMaximum() {
        assertThat(backoff.beforeRetry(1, Optional.empty())).isBetween(Duration.ofMillis(50), Duration.ofMillis(100));
        assertThat(backoff.beforeRetry(3, Optional.empty())).isBetween(Duration.ofMillis(200), Duration.ofMillis(400));
        assertThat(backoff.beforeRetry(9, Optional.empty())).isBetween(Duration.ofSeconds(1), Duration.ofSeconds(2));
        assertThat(backoff.beforeRetry(64, Optional.empty())).isBetween(Duration.ofSeconds(1), Duration.ofSeconds(2));
    }

    @RepeatedTest(5)
    void aLongerRetryAfterIsHonouredButCappedAtTheMaximum() {
        assertThat(backoff.beforeRetry(1, Optional.of(Duration.ofMillis(700)))).isEqualTo(Duration.ofMillis(700));
        assertThat(backoff.beforeRetry(1, Optional.of(Duration.ofSeconds(60)))).isEqualTo(Duration.ofSeconds(2));
        assertThat(backoff.beforeRetry(1, Optional.of(Duration.ZERO))).isBetween(Duration.ofMillis(50), Duration.ofMillis(100));
    }
}
