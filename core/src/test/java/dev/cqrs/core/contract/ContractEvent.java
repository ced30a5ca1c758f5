package dev.cqrs.core.contract;

import dev.cqrs.core.Event;

/** The events of the aggregate the store contract writes: a counter with a name. */
public sealed interface ContractEvent extends Event {

    record Incremented(int by) implements ContractEvent {
    }

    /** Carries free text, to check that stores keep payloads verbatim. */
    record Renamed(String name) implements ContractEvent {
    }
}
