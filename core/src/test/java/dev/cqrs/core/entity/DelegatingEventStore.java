package dev.cqrs.core.entity;

import dev.cqrs.core.AppendResult;
import dev.cqrs.core.Before;
import dev.cqrs.core.CommandMetadata;
import dev.cqrs.core.EventStore;
import dev.cqrs.core.Precondition;
import dev.cqrs.core.Since;
import dev.cqrs.core.Version;
import dev.cqrs.core.VersionedEventWithMetadata;
import dev.cqrs.core.contract.ContractEvent;
import java.util.List;
import java.util.Optional;

/** Passes everything to a real store; tests override one method to stage a race. */
class DelegatingEventStore implements EventStore<ContractEvent> {

    protected final EventStore<ContractEvent> delegate;

    DelegatingEventStore(EventStore<ContractEvent> delegate) {
        this.delegate = delegate;
    }

    @Override
    public String aggregateType() {
        return delegate.aggregateType();
    }

    @Override
    public List<VersionedEventWithMetadata<ContractEvent>> readEvents(String id, Since since, int maxCount) {
        return delegate.readEvents(id, since, maxCount);
    }

    @Override
    public List<VersionedEventWithMetadata<ContractEvent>> readEventsBackward(String id, Before before, int maxCount) {
        return delegate.readEventsBackward(id, before, maxCount);
    }

    @Override
    public Optional<Version> currentVersion(String id) {
        return delegate.currentVersion(id);
    }

    @Override
    public AppendResult append(String id, List<? extends ContractEvent> events, Optional<Precondition> p, CommandMetadata m) {
        return delegate.append(id, events, p, m);
    }

    @Override
    public Optional<AppendResult> findAppend(String idempotencyKey) {
        return delegate.findAppend(idempotencyKey);
    }
}
