package dev.cqrs.core.entity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cqrs.core.AppendResult;
import dev.cqrs.core.CommandMetadata;
import dev.cqrs.core.CommandResult;
import dev.cqrs.core.EventStoreException;
import dev.cqrs.core.Precondition;
import dev.cqrs.core.Rejection;
import dev.cqrs.core.SnapshotStore;
import dev.cqrs.core.SnapshotStrategy;
import dev.cqrs.core.Version;
import dev.cqrs.core.VersionedAggregate;
import dev.cqrs.core.VersionedEvent;
import dev.cqrs.core.contract.ContractCommand.Increment;
import dev.cqrs.core.contract.ContractCommand.Rename;
import dev.cqrs.core.contract.ContractEvent;
import dev.cqrs.core.contract.ContractEvent.Incremented;
import dev.cqrs.core.contract.ContractState;
import dev.cqrs.core.contract.CounterAggregate;
import dev.cqrs.core.memory.MemoryEventStore;
import dev.cqrs.core.memory.MemorySnapshotStore;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The command flow, on the memory store. */
class CompositeEntityStoreTest {

    private final CounterAggregate counter = new CounterAggregate("counter");
    private final MemoryEventStore<ContractEvent> events = MemoryEventStore.create("counter");
    private final CompositeEntityStore<ContractState, dev.cqrs.core.contract.ContractCommand, ContractEvent> store =
            CompositeEntityStore.builder(counter, events).build();

    @Test
    void anAcceptedCommandAppendsItsEventsAndReturnsTheNewState() {
        var result = (CommandResult.Accepted<ContractState, ContractEvent>) store.execute("a", new Increment(3), CommandMetadata.create());
        assertThat(result.version()).isEqualTo(Version.of(1));
        assertThat(result.events()).containsExactly(new VersionedEvent<>(dev.cqrs.core.EventNumber.FIRST, new Incremented(3)));
        assertThat(result.aggregate().state()).isEqualTo(new ContractState(3, ""));
        assertThat(result.lastPosition()).hasValue(1);
        assertThat(result.replayed()).isFalse();
    }

    @Test
    void aRejectedCommandWritesNothing() {
        var result = store.execute("a", new Increment(0), CommandMetadata.create());
        assertThat(result).isEqualTo(new CommandResult.Rejected<>(dev.cqrs.core.StreamId.of("counter", "a"),
                new Rejection("VALIDATION", "increment by a positive amount")));
        assertThat(events.currentVersion("a")).isEmpty();
    }

    @Test
    void aCommandThatChangesNothingWritesNothing() {
        store.execute("a", new Rename("x"), CommandMetadata.create());
        var result = (CommandResult.Accepted<ContractState, ContractEvent>) store.execute("a", new Rename("x"), CommandMetadata.create());
        assertThat(result.events()).isEmpty();
        assertThat(result.append()).isEmpty();
        assertThat(result.lastPosition()).isEmpty();
        assertThat(result.version()).isEqualTo(Version.of(1));
        assertThat(events.currentVersion("a")).contains(Version.of(1));
    }

    @Test
    void theCallersPreconditionIsCheckedBeforeDeciding() {
        store.execute("a", new Increment(1), CommandMetadata.create());
        var stale = store.execute("a", new Increment(1), Optional.of(Precondition.expectedVersion(0)), CommandMetadata.create());
        assertThat(stale).isInstanceOfSatisfying(CommandResult.Conflict.class,
                c -> assertThat(c.failure().actual()).contains(Version.of(1)));
        var fresh = store.execute("a", new Increment(1), Optional.of(Precondition.expectedVersion(1)), CommandMetadata.create());
        assertThat(fresh).isInstanceOf(CommandResult.Accepted.class);
        var created = store.execute("b", new Increment(1), Optional.of(Precondition.exists()), CommandMetadata.create());
        assertThat(created).isInstanceOf(CommandResult.Conflict.class);
        assertThat(events.currentVersion("b")).isEmpty();
    }

    @Test
    void aPreconditionNeedsNoOptionalAndAnAcceptedResultNoCast() {
        var created = store.execute("a", new Increment(1), Precondition.isNew(), CommandMetadata.create());
        var stale = store.execute("a", new Increment(1), Precondition.isNew(), CommandMetadata.create());
        var rejected = store.execute("a", new Increment(0), Precondition.exists(), CommandMetadata.create());

        assertThat(created.accepted()).hasValueSatisfying(a -> assertThat(a.version()).isEqualTo(Version.of(1)));
        assertThat(stale.accepted()).isEmpty();
        assertThat(stale).isInstanceOf(CommandResult.Conflict.class);
        assertThat(rejected.accepted()).isEmpty();
        assertThat(rejected).isInstanceOf(CommandResult.Rejected.class);
        assertThat(events.currentVersion("a")).contains(Version.of(1));
    }

    @Test
    void aConcurrentWriteBetweenLoadAndAppendIsAConflictWithoutRetries() {
        var racing = CompositeEntityStore.builder(counter, new WriterBetweenLoadAndAppend(events, 1)).build();
        var result = racing.execute("a", new Increment(1), CommandMetadata.create());
        assertThat(result).isInstanceOf(CommandResult.Conflict.class);
        assertThat(events.currentVersion("a")).contains(Version.of(1));
    }

    @Test
    void aConcurrentWriteIsRetriedWhenRetriesAreOn() {
        var racing = CompositeEntityStore.builder(counter, new WriterBetweenLoadAndAppend(events, 2)).retryOnConflict(2).build();
        var result = (CommandResult.Accepted<ContractState, ContractEvent>) racing.execute("a", new Increment(10), CommandMetadata.create());
        assertThat(result.version()).isEqualTo(Version.of(3));
        assertThat(result.aggregate().state().count()).isEqualTo(12);
    }

    @Test
    void retriesStillHonourTheCallersExpectedVersion() {
        var racing = CompositeEntityStore.builder(counter, new WriterBetweenLoadAndAppend(events, 1)).retryOnConflict(5).build();
        var result = racing.execute("a", new Increment(10), Optional.of(Precondition.expectedVersion(0)), CommandMetadata.create());
        assertThat(result).isInstanceOf(CommandResult.Conflict.class);
        assertThat(events.readEvents("a", dev.cqrs.core.Since.beginning())).hasSize(1);
    }

    @Test
    void aSnapshotThatCannotBeReadIsIgnored() {
        SnapshotStore<ContractState> broken = new SnapshotStore<>() {
            @Override
            public Optional<VersionedAggregate<ContractState>> getSnapshot(String aggregateId) {
                throw new EventStoreException("snapshot payload is corrupt");
            }

            @Override
            public void persistSnapshot(String aggregateId, VersionedAggregate<ContractState> snapshot) {
                throw new EventStoreException("disk full");
            }
        };
        var withBroken = CompositeEntityStore.builder(counter, events).snapshots(broken, SnapshotStrategy.always()).build();
        assertThat(withBroken.execute("a", new Increment(2), CommandMetadata.create())).isInstanceOf(CommandResult.Accepted.class);
        assertThat(withBroken.execute("a", new Increment(2), CommandMetadata.create())).isInstanceOf(CommandResult.Accepted.class);
        assertThat(withBroken.rehydrate("a").orElseThrow().state().count()).isEqualTo(4);
    }

    @Test
    void rehydratingReadsInPagesAndStartsFromTheSnapshot() {
        MemorySnapshotStore<ContractState> snapshots = MemorySnapshotStore.create(1);
        var paged = CompositeEntityStore.builder(counter, events).snapshots(snapshots, SnapshotStrategy.every(5)).pageSize(2).build();
        for (int i = 0; i < 12; i++) {
            paged.execute("a", new Increment(1), CommandMetadata.create());
        }
        var loaded = paged.rehydrate("a").orElseThrow();
        assertThat(loaded.version()).isEqualTo(Version.of(12));
        assertThat(loaded.snapshotVersion()).contains(Version.of(10));
        assertThat(loaded.state().count()).isEqualTo(12);
        assertThat(paged.rehydrate("nobody")).isEmpty();
    }

    @Test
    void aKeyFirstUsedOnAnotherAggregateTypeIsRejected() {
        MemoryEventStore<ContractEvent> others = MemoryEventStore.create("other");
        var otherStore = CompositeEntityStore.builder(new CounterAggregate("other"), new SharedKeys(others, events)).build();
        store.execute("a", new Increment(1), CommandMetadata.create().withIdempotencyKey("k"));
        var result = otherStore.execute("a", new Increment(1), CommandMetadata.create().withIdempotencyKey("k"));
        assertThat(result).isInstanceOfSatisfying(CommandResult.Rejected.class,
                r -> assertThat(r.rejection().code()).isEqualTo(CompositeEntityStore.IDEMPOTENCY_KEY_REUSED));
    }

    @Test
    void theAggregateMustMatchTheStoresType() {
        assertThatThrownBy(() -> CompositeEntityStore.builder(new CounterAggregate("other"), events).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'counter'");
    }

    /** An event store that lets another writer append just before the first {@code times} appends. */
    private static final class WriterBetweenLoadAndAppend extends DelegatingEventStore {
        private int times;

        WriterBetweenLoadAndAppend(MemoryEventStore<ContractEvent> delegate, int times) {
            super(delegate);
            this.times = times;
        }

        @Override
        public AppendResult append(String id, List<? extends ContractEvent> evs, Optional<Precondition> p, CommandMetadata m) {
            if (times-- > 0) {
                delegate.append(id, List.of(new Incremented(1)), Optional.empty(), CommandMetadata.create());
            }
            return delegate.append(id, evs, p, m);
        }
    }

    /** A store whose idempotency keys are shared with another type's store, as in one database. */
    private static final class SharedKeys extends DelegatingEventStore {
        private final MemoryEventStore<ContractEvent> keys;

        SharedKeys(MemoryEventStore<ContractEvent> delegate, MemoryEventStore<ContractEvent> keys) {
            super(delegate);
            this.keys = keys;
        }

        @Override
        public Optional<AppendResult> findAppend(String key) {
            return keys.findAppend(key);
        }
    }
}
