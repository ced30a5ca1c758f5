package dev.cqrs.outbox;

import dev.cqrs.core.CommandMetadata;
import dev.cqrs.core.EventStore;
import dev.cqrs.core.RawEvent;
import dev.cqrs.core.contract.ContractCodecs;
import dev.cqrs.core.contract.ContractEvent;
import dev.cqrs.embedded.postgres.PostgresServer;
import dev.cqrs.embedded.postgres.TestDatabase;
import dev.cqrs.postgres.PostgresEventStore;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import java.time.Duration;

/** A store on a fresh database, relay settings with topics of their own, and writers that append while a test runs. */
final class RelayTestSupport {

    final TestDatabase db;
    final PostgresEventStore store;
    final String prefix = "t" + UUID.randomUUID().toString().substring(0, 8);
    final String aggregateType = "counter";

    RelayTestSupport(String name) {
        this.db = PostgresServer.shared().createDatabase(name);
        this.store = PostgresEventStore.builder(db.jdbcUrl(), db.user(), db.password()).poolSize(16).build();
    }

    /** Relay settings: topics named after this test, quick retries. */
    Map<String, Object> relaySettings(String bootstrap) {
        Map<String, Object> settings = new HashMap<>();
        settings.put(RelayConfig.BOOTSTRAP_SERVERS, bootstrap);
        settings.put(RelayConfig.NAME, prefix);
        settings.put(RelayConfig.TOPIC_PATTERN, prefix + ".{aggregateType}");
        settings.put(RelayConfig.CHECKPOINT_TOPIC, prefix + ".checkpoints");
        settings.put(RelayConfig.TOPIC_PARTITIONS, 3);
        settings.put(RelayConfig.STANDBY_RETRY_MS, 200L);
        settings.put(RelayConfig.ERROR_BACKOFF_MS, 300L);
        settings.put(RelayConfig.POLL_INTERVAL_MS, 200L);
        return settings;
    }

    RelayConfig relayConfig(String bootstrap) {
        return new RelayConfig(relaySettings(bootstrap));
    }

    java.util.regex.Pattern topics() {
        return java.util.regex.Pattern.compile(java.util.regex.Pattern.quote(prefix) + "\\.counter.*");
    }

    /** Every event in the store. */
    List<RawEvent> all() {
        List<RawEvent> all = new ArrayList<>();
        long last = 0;
        while (true) {
            List<RawEvent> page = store.globalLog().readAfter(last, 10_000);
            if (page.isEmpty()) {
                return all;
            }
            all.addAll(page);
            last = page.get(page.size() - 1).globalPosition();
        }
    }

    /** Appends {@code total} events in appends of 1 to 10, from {@code threads} writers over 200 aggregates. */
    Thread[] write(int total, int threads) {
        return write(total, threads, () -> false);
    }

    /**
     * Appends at least {@code total} events as fast as it can, then goes on at about 100 appends per second
     * and writer while {@code moreWanted} says so.
     */
    Thread[] write(int total, int threads, java.util.function.BooleanSupplier moreWanted) {
        EventStore<ContractEvent> events = store.events(aggregateType, ContractCodecs.events());
        AtomicInteger written = new AtomicInteger();
        return IntStream.range(0, threads).mapToObj(t -> Thread.ofPlatform().start(() -> {
            ThreadLocalRandom random = ThreadLocalRandom.current();
            while (written.get() < total || moreWanted.getAsBoolean()) {
                int count = 1 + random.nextInt(10);
                List<ContractEvent> batch = IntStream.range(0, count).<ContractEvent>mapToObj(ContractEvent.Incremented::new).toList();
                try {
                    events.append("agg-" + random.nextInt(200), batch, Optional.empty(), CommandMetadata.create());
                    if (written.addAndGet(count) >= total) {
                        Thread.sleep(10); // past the total, a trickle: enough to keep the relay busy
                    }
                } catch (RuntimeException e) {
                    writeErrors.incrementAndGet();
                    lastWriteError = e;
                } catch (InterruptedException e) {
                    return;
                }
            }
        })).toArray(Thread[]::new);
    }

    /** Appends exactly {@code total} events, in appends of 1 to 5, over 50 aggregates; returns when done. */
    void appendExactly(int total) {
        EventStore<ContractEvent> events = store.events(aggregateType, ContractCodecs.events());
        ThreadLocalRandom random = ThreadLocalRandom.current();
        int written = 0;
        while (written < total) {
            int count = Math.min(total - written, 1 + random.nextInt(5));
            List<ContractEvent> batch = IntStream.range(0, count).<ContractEvent>mapToObj(ContractEvent.Incremented::new).toList();
            events.append("agg-" + random.nextInt(50), batch, Optional.empty(), CommandMetadata.create());
            written += count;
        }
    }

    private final AtomicInteger writeErrors = new AtomicInteger();

    /** Appends while {@code moreWanted} says so, at a modest rate, from {@code threads} writers; failures are counted. */
    Thread[] writeWhile(java.util.function.BooleanSupplier moreWanted, int threads) {
        EventStore<ContractEvent> events = store.events(aggregateType, ContractCodecs.events());
        return IntStream.range(0, threads).mapToObj(t -> Thread.ofPlatform().start(() -> {
            ThreadLocalRandom random = ThreadLocalRandom.current();
            while (moreWanted.getAsBoolean()) {
                try {
                    events.append("agg-" + random.nextInt(200), List.of(new ContractEvent.Incremented(1)), Optional.empty(),
                            CommandMetadata.create());
                    Thread.sleep(2);
                } catch (RuntimeException e) {
                    writeErrors.incrementAndGet();
                    lastWriteError = e;
                } catch (InterruptedException e) {
                    return;
                }
            }
        })).toArray(Thread[]::new);
    }

    private volatile RuntimeException lastWriteError;

    /** Appends that failed (writers go on after a failure; the test decides whether any may fail). */
    int writeErrors() {
        return writeErrors.get();
    }

    /** The latest append that failed, for a failure message. */
    Optional<RuntimeException> lastWriteError() {
        return Optional.ofNullable(lastWriteError);
    }

    /** Waits for the threads, at most two minutes each. */
    static void join(Thread... threads) throws InterruptedException {
        for (Thread thread : threads) {
            thread.join(Duration.ofMinutes(2));
            if (thread.isAlive()) {
                throw new AssertionError("a writer thread did not finish within two minutes: " + thread);
            }
        }
    }

    void close() {
        store.close();
    }
}
