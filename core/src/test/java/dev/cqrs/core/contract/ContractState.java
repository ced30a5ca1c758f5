package dev.cqrs.core.contract;

/** The state of the contract's counter aggregate. */
public record ContractState(long count, String name) {

    public static final ContractState INITIAL = new ContractState(0, "");
}
