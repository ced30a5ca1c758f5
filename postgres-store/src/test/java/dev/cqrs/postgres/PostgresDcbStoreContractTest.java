package dev.cqrs.postgres;

import dev.cqrs.core.EventStore;
import dev.cqrs.core.contract.DcbStoreContract;
import dev.cqrs.core.contract.TaggedContractCodecs;
import dev.cqrs.core.contract.TaggedContractEvent;
import dev.cqrs.core.dcb.DcbEventStore;
import org.junit.jupiter.api.AfterAll;

/** The PostgreSQL store passes the DCB store contract on a real PostgreSQL 17, its locks deciding every race. */
class PostgresDcbStoreContractTest extends DcbStoreContract {

    private static final PostgresEventStore store = TestStores.store("dcbcontract");

    @AfterAll
    static void close() {
        store.close();
    }

    @Override
    protected DcbEventStore<TaggedContractEvent> dcbStore(String aggregateType) {
        return store.dcb(aggregateType, TaggedContractCodecs.events());
    }

    @Override
    protected EventStore<TaggedContractEvent> eventStore(String aggregateType) {
        return store.events(aggregateType, TaggedContractCodecs.events());
    }
}
