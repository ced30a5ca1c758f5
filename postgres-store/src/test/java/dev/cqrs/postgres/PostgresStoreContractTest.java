package dev.cqrs.postgres;

import dev.cqrs.core.EventStore;
import dev.cqrs.core.SnapshotStore;
import dev.cqrs.core.contract.ContractCodecs;
import dev.cqrs.core.contract.ContractEvent;
import dev.cqrs.core.contract.ContractState;
import dev.cqrs.core.contract.EventStoreContract;
import org.junit.jupiter.api.AfterAll;

/** The PostgreSQL store passes the store contract, on a real PostgreSQL 17, PostgreSQL deciding every race. */
class PostgresStoreContractTest extends EventStoreContract {

    private static final PostgresEventStore store = TestStores.store("contract");

    @AfterAll
    static void close() {
        store.close();
    }

    @Override
    protected EventStore<ContractEvent> eventStore(String aggregateType) {
        return store.events(aggregateType, ContractCodecs.events());
    }

    @Override
    protected SnapshotStore<ContractState> snapshotStore(String aggregateType, int stateSchemaVersion) {
        return store.snapshots(aggregateType, stateSchemaVersion, ContractCodecs.state());
    }
}
