package dev.cqrs.core.memory;

import dev.cqrs.core.EventStore;
import dev.cqrs.core.SnapshotStore;
import dev.cqrs.core.contract.ContractEvent;
import dev.cqrs.core.contract.ContractState;
import dev.cqrs.core.contract.EventStoreContract;
import java.util.HashMap;
import java.util.Map;

/** The memory store passes the store contract. */
class MemoryStoreContractTest extends EventStoreContract {

    private final Map<String, MemoryEventStore<ContractEvent>> eventStores = new HashMap<>();
    private final Map<String, MemorySnapshotStore<ContractState>> snapshotStores = new HashMap<>();

    @Override
    protected EventStore<ContractEvent> eventStore(String aggregateType) {
        return eventStores.computeIfAbsent(aggregateType, MemoryEventStore::create);
    }

    @Override
    protected SnapshotStore<ContractState> snapshotStore(String aggregateType, int stateSchemaVersion) {
        return snapshotStores.computeIfAbsent(aggregateType, t -> MemorySnapshotStore.create(1))
                .withSchemaVersion(stateSchemaVersion);
    }
}
