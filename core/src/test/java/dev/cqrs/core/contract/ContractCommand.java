package dev.cqrs.core.contract;

/** The commands of the contract's counter aggregate. */
public sealed interface ContractCommand {

    record Increment(int by) implements ContractCommand {
    }

    record Rename(String name) implements ContractCommand {
    }
}
