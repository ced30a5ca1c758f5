package dev.cqrs.core;

import static dev.cqrs.core.SnapshotRecommendation.DO_NOT_SNAPSHOT;
import static dev.cqrs.core.SnapshotRecommendation.SHOULD_SNAPSHOT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class SnapshotStrategyTest {

    private static final Optional<Version> NONE = Optional.empty();

    @Test
    void neverRecommendsASnapshot() {
        SnapshotStrategy never = SnapshotStrategy.never();
        assertThat(never.recommend(Version.of(1), NONE)).isEqualTo(DO_NOT_SNAPSHOT);
        assertThat(never.recommend(Version.of(1_000_000), Optional.of(Version.of(1)))).isEqualTo(DO_NOT_SNAPSHOT);
    }

    @Test
    void alwaysRecommendsOneWhenTheVersionMovedPastTheLastSnapshot() {
        SnapshotStrategy always = SnapshotStrategy.always();
        assertThat(always.recommend(Version.of(1), NONE)).isEqualTo(SHOULD_SNAPSHOT);
        assertThat(always.recommend(Version.of(5), Optional.of(Version.of(4)))).isEqualTo(SHOULD_SNAPSHOT);
        assertThat(always.recommend(Version.of(5), Optional.of(Version.of(5)))).isEqualTo(DO_NOT_SNAPSHOT);
        assertThat(always.recommend(Version.INITIAL, NONE)).isEqualTo(DO_NOT_SNAPSHOT);
    }

    @Test
    void everyNRecommendsOneWhenNEventsHavePassedSinceTheLastSnapshot() {
        SnapshotStrategy every = SnapshotStrategy.every(10);
        assertThat(every.recommend(Version.of(9), NONE)).isEqualTo(DO_NOT_SNAPSHOT);
        assertThat(every.recommend(Version.of(10), NONE)).isEqualTo(SHOULD_SNAPSHOT);
        assertThat(every.recommend(Version.of(19), Optional.of(Version.of(10)))).isEqualTo(DO_NOT_SNAPSHOT);
        assertThat(every.recommend(Version.of(20), Optional.of(Version.of(10)))).isEqualTo(SHOULD_SNAPSHOT);
        assertThat(every.recommend(Version.of(35), Optional.of(Version.of(10)))).isEqualTo(SHOULD_SNAPSHOT);
    }

    @Test
    void everyNeedsAPositiveDistance() {
        assertThatThrownBy(() -> SnapshotStrategy.every(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
