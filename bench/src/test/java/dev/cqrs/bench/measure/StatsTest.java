package dev.cqrs.bench.measure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class StatsTest {

    @Test
    void theMedianOfAnOddCountIsTheMiddleValueAndOfAnEvenCountTheMeanOfTheTwoMiddleOnes() {
        assertThat(Stats.median(5, 1, 3)).isEqualTo(3);
        assertThat(Stats.median(4, 1, 3, 2)).isEqualTo(2.5);
        assertThat(Stats.median(7)).isEqualTo(7);
        assertThatThrownBy(Stats::median).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aClosedLoadCountsEveryOperationOfEveryClientAndTimesEachOne() {
        AtomicLong calls = new AtomicLong();

        ClosedLoad.Result result = ClosedLoad.run("test", 3, Duration.ofMillis(50), (client, index) -> calls.incrementAndGet());

        assertThat(result.operations()).isEqualTo(calls.get()).isPositive();
        assertThat(result.latencies().count()).isEqualTo(result.operations());
        assertThat(result.elapsedNanos()).isGreaterThanOrEqualTo(Duration.ofMillis(50).toNanos());
    }

    @Test
    void aFailingOperationFailsTheRunWithItsCause() {
        assertThatThrownBy(() -> ClosedLoad.run("failing", 2, Duration.ofSeconds(5), (client, index) -> {
            throw new IllegalStateException("boom");
        })).isInstanceOf(IllegalStateException.class).hasMessageContaining("boom").hasRootCauseMessage("boom");
    }
}
