package dev.cqrs.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class VersionTest {

    @Test
    void eventNumbersStartAtOne() {
        assertThat(EventNumber.FIRST.value()).isEqualTo(1);
        assertThatThrownBy(() -> EventNumber.of(0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("starts at 1");
        assertThatThrownBy(() -> EventNumber.of(-5)).isInstanceOf(IllegalArgumentException.class);
        assertThat(EventNumber.of(41).next()).isEqualTo(EventNumber.of(42));
    }

    @Test
    void theNextEventAfterInitialIsNumberOne() {
        assertThat(Version.INITIAL.next()).isEqualTo(EventNumber.FIRST);
        assertThat(Version.of(7).next()).isEqualTo(EventNumber.of(8));
    }

    @Test
    void versionZeroIsInitialAndOthersAreNumbers() {
        assertThat(Version.of(0)).isEqualTo(Version.INITIAL).isInstanceOf(Version.Initial.class);
        assertThat(Version.of(3)).isEqualTo(new Version.Number(EventNumber.of(3)));
        assertThat(Version.of(3).asLong()).isEqualTo(3);
        assertThat(Version.INITIAL.asLong()).isZero();
        assertThatThrownBy(() -> Version.of(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void versionsOrderByTheirNumber() {
        assertThat(Version.INITIAL).isLessThan(Version.of(1));
        assertThat(Version.of(2)).isGreaterThan(Version.of(1));
        assertThat(Version.of(2).compareTo(Version.of(2))).isZero();
    }

    @Test
    void plusCountsEvents() {
        assertThat(Version.INITIAL.plus(0)).isEqualTo(Version.INITIAL);
        assertThat(Version.INITIAL.plus(3)).isEqualTo(Version.of(3));
        assertThat(Version.of(3).plus(2)).isEqualTo(Version.of(5));
        assertThatThrownBy(() -> Version.of(3).plus(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void sinceAVersionStartsAfterIt() {
        assertThat(Since.version(Version.INITIAL)).isEqualTo(Since.beginning());
        assertThat(Since.version(Version.of(4))).isEqualTo(Since.event(4));
        assertThat(Since.event(4).afterNumber()).isEqualTo(4);
        assertThat(Before.event(4).beforeNumber()).isEqualTo(4);
        assertThat(Before.endOfStream().beforeNumber()).isEqualTo(Long.MAX_VALUE);
    }
}
