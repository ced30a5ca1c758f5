package dev.cqrs.core.entity;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cqrs.core.CommandMetadata;
import dev.cqrs.core.CommandResult;
import dev.cqrs.core.Precondition;
import dev.cqrs.core.Since;
import dev.cqrs.core.Version;
import dev.cqrs.core.VersionedEventWithMetadata;
import dev.cqrs.core.contract.ContractCommand;
import dev.cqrs.core.contract.ContractCommand.Increment;
import dev.cqrs.core.contract.ContractCommand.Rename;
import dev.cqrs.core.contract.ContractEvent;
import dev.cqrs.core.contract.ContractState;
import dev.cqrs.core.contract.CounterAggregate;
import dev.cqrs.core.memory.MemoryEventStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The aggregate cache skips loads, and a stale entry never makes a command wrong. */
class AggregateCacheTest {

    private final CounterAggregate counter = new CounterAggregate("counter");
    private final MemoryEventStore<ContractEvent> events = MemoryEventStore.create("counter");
    private final CountingReads reads = new CountingReads(events);

    private CompositeEntityStore<ContractState, ContractCommand, ContractEvent> cached() {
        return CompositeEntityStore.builder(counter, (dev.cqrs.core.EventStore<ContractEvent>) reads).cacheAggregates(100).build();
    }

    @Test
    void commandsOnAnAggregateThisStoreWroteSkipTheLoad() {
        var store = cached();
        for (int i = 0; i < 10; i++) {
            assertThat(store.execute("a", new Increment(1), CommandMetadata.create())).isInstanceOf(CommandResult.Accepted.class);
        }
        assertThat(reads.count.get()).as("loads").isEqualTo(1);
        assertThat(events.currentVersion("a")).contains(Version.of(10));
    }

    @Test
    void aStaleEntryCostsAReloadNotAConflict() {
        var first = cached();
        var second = CompositeEntityStore.builder(counter, events).build();
        first.execute("a", new Increment(1), CommandMetadata.create());
        second.execute("a", new Increment(10), CommandMetadata.create());
        var result = (CommandResult.Accepted<ContractState, ContractEvent>) first.execute("a", new Increment(100), CommandMetadata.create());
        assertThat(result.version()).isEqualTo(Version.of(3));
        assertThat(result.aggregate().state().count()).isEqualTo(111);
        assertThat(first.rehydrate("a").orElseThrow().state().count()).isEqualTo(111);
    }

    @Test
    void aPreconditionFailingOnAStaleEntryIsCheckedAgainOnAFreshLoad() {
        var first = cached();
        var second = CompositeEntityStore.builder(counter, events).build();
        first.execute("a", new Increment(1), CommandMetadata.create());
        second.execute("a", new Increment(1), CommandMetadata.create());
        var result = first.execute("a", new Increment(1), Optional.of(Precondition.expectedVersion(2)), CommandMetadata.create());
        assertThat(result).isInstanceOf(CommandResult.Accepted.class);
        var stale = first.execute("a", new Increment(1), Optional.of(Precondition.expectedVersion(2)), CommandMetadata.create());
        assertThat(stale).isInstanceOf(CommandResult.Conflict.class);
    }

    @Test
    void nothingToDoOnAStaleEntryIsCheckedAgainOnAFreshLoad() {
        var first = cached();
        var second = CompositeEntityStore.builder(counter, events).build();
        first.execute("a", new Rename("x"), CommandMetadata.create());
        second.execute("a", new Rename("y"), CommandMetadata.create());
        var result = (CommandResult.Accepted<ContractState, ContractEvent>) first.execute("a", new Rename("x"), CommandMetadata.create());
        assertThat(result.events()).hasSize(1);
        assertThat(result.aggregate().state().name()).isEqualTo("x");
    }

    @Test
    void storesWithCachesRacingOnOneAggregateLoseNoCommand() throws Exception {
        int writers = 4;
        int perWriter = 200;
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        java.util.concurrent.CountDownLatch start = new java.util.concurrent.CountDownLatch(1);
        try {
            List<Future<Integer>> done = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                var store = CompositeEntityStore.builder(counter, events).cacheAggregates(10).retryOnConflict(1_000).build();
                done.add(pool.submit(() -> {
                    start.await(); // released together, so that they do race
                    int accepted = 0;
                    for (int i = 0; i < perWriter; i++) {
                        if (store.execute("hot", new Increment(1), CommandMetadata.create()) instanceof CommandResult.Accepted<?, ?>) {
                            accepted++;
                        }
                    }
                    return accepted;
                }));
            }
            start.countDown();
            int accepted = 0;
            for (Future<Integer> f : done) {
                try {
                    accepted += f.get(2, java.util.concurrent.TimeUnit.MINUTES);
                } catch (java.util.concurrent.TimeoutException e) {
                    throw new AssertionError("a writer did not finish its " + perWriter + " commands within 2 minutes", e);
                }
            }
            assertThat(accepted).isEqualTo(writers * perWriter);
        } finally {
            pool.shutdownNow();
        }
        assertThat(events.currentVersion("hot")).contains(Version.of(writers * perWriter));
        assertThat(CompositeEntityStore.builder(counter, events).build().rehydrate("hot").orElseThrow().state().count())
                .isEqualTo(writers * perWriter);
    }

    /** Counts the loads that reach the store. */
    private static final class CountingReads extends DelegatingEventStore {
        final AtomicInteger count = new AtomicInteger();

        CountingReads(MemoryEventStore<ContractEvent> delegate) {
            super(delegate);
        }

        @Override
        public List<VersionedEventWithMetadata<ContractEvent>> readEvents(String id, Since since, int maxCount) {
            count.incrementAndGet();
            return super.readEvents(id, since, maxCount);
        }
    }
}
