package dev.cqrs.core.contract;

import dev.cqrs.core.Aggregate;
import dev.cqrs.core.Decision;

/** A counter: the aggregate the store contract drives through stores. */
public final class CounterAggregate implements Aggregate<ContractState, ContractCommand, ContractEvent> {

    private final String aggregateType;
    private final int stateSchemaVersion;

    public CounterAggregate(String aggregateType) {
        this(aggregateType, 1);
    }

    public CounterAggregate(String aggregateType, int stateSchemaVersion) {
        this.aggregateType = aggregateType;
        this.stateSchemaVersion = stateSchemaVersion;
    }

    @Override
    public String aggregateType() {
        return aggregateType;
    }

    @Override
    public int stateSchemaVersion() {
        return stateSchemaVersion;
    }

    @Override
    public ContractState initialState() {
        return ContractState.INITIAL;
    }

    @Override
    public Decision<ContractEvent> decide(ContractState state, ContractCommand command) {
        return switch (command) {
            case ContractCommand.Increment(int by) when by <= 0 -> Decision.reject("VALIDATION", "increment by a positive amount");
            case ContractCommand.Increment(int by) -> Decision.accept(new ContractEvent.Incremented(by));
            case ContractCommand.Rename(String name) when name.equals(state.name()) -> Decision.nothing();
            case ContractCommand.Rename(String name) -> Decision.accept(new ContractEvent.Renamed(name));
        };
    }

    @Override
    public ContractState apply(ContractState state, ContractEvent event) {
        return switch (event) {
            case ContractEvent.Incremented(int by) -> new ContractState(state.count() + by, state.name());
            case ContractEvent.Renamed(String name) -> new ContractState(state.count(), name);
        };
    }
}
