package dev.cqrs.core.memory;

import dev.cqrs.core.EventStore;
import dev.cqrs.core.contract.DcbStoreContract;
import dev.cqrs.core.contract.TaggedContractEvent;
import dev.cqrs.core.dcb.DcbEventStore;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Map;

/** The memory store passes the DCB store contract. */
class MemoryDcbStoreContractTest extends DcbStoreContract {

    private final Map<String, MemoryEventStore<TaggedContractEvent>> stores = new ConcurrentHashMap<>();

    @Override
    protected DcbEventStore<TaggedContractEvent> dcbStore(String aggregateType) {
        return stores.computeIfAbsent(aggregateType, MemoryEventStore::create);
    }

    @Override
    protected EventStore<TaggedContractEvent> eventStore(String aggregateType) {
        return stores.computeIfAbsent(aggregateType, MemoryEventStore::create);
    }
}
