package dev.cqrs.bench.measure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class LatencySampleTest {

    @Test
    void percentilesFollowTheNearestRankMethod() {
        LatencySample sample = LatencySample.of(50, 10, 40, 20, 30);

        assertThat(sample.percentileNanos(0)).isEqualTo(10);
        assertThat(sample.percentileNanos(20)).isEqualTo(10);
        assertThat(sample.percentileNanos(21)).isEqualTo(20);
        assertThat(sample.percentileNanos(50)).isEqualTo(30);
        assertThat(sample.percentileNanos(99)).isEqualTo(50);
        assertThat(sample.maxNanos()).isEqualTo(50);
        assertThat(sample.meanNanos()).isEqualTo(30.0);
    }

    @Test
    void theNinetyNinthPercentileOfAThousandIsTheNineHundredAndNinetiethValue() {
        long[] nanos = new long[1_000];
        for (int i = 0; i < nanos.length; i++) {
            nanos[i] = 1_000 - i; // 1..1000, reversed
        }
        LatencySample sample = LatencySample.of(nanos);

        assertThat(sample.percentileNanos(99)).isEqualTo(990);
        assertThat(sample.percentileNanos(99.9)).isEqualTo(999);
        assertThat(sample.percentileNanos(50)).isEqualTo(500);
    }

    @Test
    void mergedSamplesAreOneSortedSample() {
        LatencySample merged = LatencySample.of(5, 1).merge(LatencySample.of(3), LatencySample.empty(), LatencySample.of(4, 2));

        assertThat(merged.count()).isEqualTo(5);
        assertThat(merged.percentileNanos(0)).isEqualTo(1);
        assertThat(merged.percentileNanos(60)).isEqualTo(3);
        assertThat(merged.maxNanos()).isEqualTo(5);
    }

    @Test
    void anEmptySampleHasNoPercentilesAndPercentilesOutsideTheRangeAreRefused() {
        assertThatThrownBy(() -> LatencySample.empty().percentileNanos(50)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> LatencySample.of(1).percentileNanos(101)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LatencySample.of(1).percentileNanos(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aRecorderGrowsPastItsFirstArray() {
        LatencyRecorder recorder = new LatencyRecorder();
        for (int i = 1; i <= 10_000; i++) {
            recorder.record(i);
        }

        assertThat(recorder.count()).isEqualTo(10_000);
        assertThat(recorder.toSample().percentileNanos(50)).isEqualTo(5_000);
    }
}
