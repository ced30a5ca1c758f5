package dev.cqrs.core.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cqrs.core.contract.ContractCommand.Increment;
import dev.cqrs.core.contract.ContractCommand.Rename;
import dev.cqrs.core.contract.ContractEvent.Incremented;
import dev.cqrs.core.contract.ContractEvent.Renamed;
import dev.cqrs.core.contract.ContractState;
import dev.cqrs.core.contract.CounterAggregate;
import org.junit.jupiter.api.Test;

/** The fixture passes what holds and fails, readably, on what does not. */
class AggregateScenarioTest {

    private final AggregateScenario<ContractState, dev.cqrs.core.contract.ContractCommand, dev.cqrs.core.contract.ContractEvent> counter =
            AggregateScenario.of(new CounterAggregate("counter"));

    @Test
    void passesWhenTheDecidedEventsAreTheExpectedOnes() {
        counter.given(new Incremented(2)).when(new Increment(3))
                .thenEvents(new Incremented(3))
                .thenState(new ContractState(5, ""));
    }

    @Test
    void failsWhenTheEventsDiffer() {
        assertThatThrownBy(() -> counter.when(new Increment(3)).thenEvents(new Incremented(4)))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("expected events: [Incremented[by=4]]")
                .hasMessageContaining("but decided:     [Incremented[by=3]]");
    }

    @Test
    void failsWhenARejectionWasExpectedButTheCommandWasAccepted() {
        assertThatThrownBy(() -> counter.when(new Increment(3)).thenRejected("VALIDATION"))
                .isInstanceOf(AssertionError.class).hasMessageContaining("expected a rejection");
    }

    @Test
    void checksTheRejectionCode() {
        counter.when(new Increment(0)).thenRejected("VALIDATION", r -> assertThat(r.message()).contains("positive"));
        assertThatThrownBy(() -> counter.when(new Increment(0)).thenRejected("CONFLICT"))
                .isInstanceOf(AssertionError.class).hasMessageContaining("expected rejection CONFLICT");
        assertThatThrownBy(() -> counter.when(new Increment(0)).thenEvents())
                .isInstanceOf(AssertionError.class).hasMessageContaining("rejected");
    }

    @Test
    void thenNothingMeansAcceptedWithoutEvents() {
        counter.given(new Renamed("a")).when(new Rename("a")).thenNothing();
        assertThatThrownBy(() -> counter.when(new Rename("a")).thenNothing())
                .isInstanceOf(AssertionError.class).hasMessageContaining("expected no events");
    }

    @Test
    void thenStateFailsOnADifferentState() {
        assertThatThrownBy(() -> counter.when(new Increment(1)).thenState(new ContractState(2, "")))
                .isInstanceOf(AssertionError.class).hasMessageContaining("expected state");
    }
}
