package dev.cqrs.todo.service;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.opentest4j.TestAbortedException;

/** How a browser test reacts to a missing Chromium: skipped with the reason on a machine, failed in CI. */
class ChromiumAssumptionTest {

    @Test
    void withoutChromiumABrowserTestIsSkippedWithItsReason() {
        assertThatThrownBy(() -> Chromium.assumeInstalled(false, Map.of()))
                .isInstanceOf(TestAbortedException.class)
                .hasMessageContaining("headless Chromium is not installed").hasMessageContaining("skipped");
    }

    @Test
    void withoutChromiumInCiABrowserTestFails() {
        assertThatThrownBy(() -> Chromium.assumeInstalled(false, Map.of("CI", "true")))
                .isInstanceOf(AssertionError.class)
                .isNotInstanceOf(TestAbortedException.class)
                .hasMessageContaining("CI=true");
    }

    @Test
    void withChromiumABrowserTestRuns() {
        assertThatCode(() -> Chromium.assumeInstalled(true, Map.of("CI", "true"))).doesNotThrowAnyException();
    }
}
