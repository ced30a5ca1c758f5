package dev.cqrs.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cqrs.core.AppendResult;
import dev.cqrs.core.CommandMetadata;
import dev.cqrs.core.CommandResult;
import dev.cqrs.core.EventStore;
import dev.cqrs.core.EventStoreException;
import dev.cqrs.core.Since;
import dev.cqrs.core.StreamId;
import dev.cqrs.core.codec.EncodedEvent;
import dev.cqrs.core.contract.ContractCodecs;
import dev.cqrs.core.contract.ContractCommand;
import dev.cqrs.core.contract.ContractEvent;
import dev.cqrs.core.contract.ContractEvent.Incremented;
import dev.cqrs.core.contract.ContractState;
import dev.cqrs.core.contract.CounterAggregate;
import dev.cqrs.core.entity.CompositeEntityStore;
import dev.cqrs.embedded.network.FaultProxy;
import dev.cqrs.embedded.network.NetworkFault;
import dev.cqrs.embedded.postgres.TestDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Idempotency keys on PostgreSQL where they matter most: a key reused across aggregate types (keys are one
 * namespace per store), a backend terminated in the middle of a one-event append, and a connection that breaks
 * after the append committed, so that the client cannot know the outcome: sent again with its key, the append
 * must answer the first result and write nothing more.
 */
class IdempotencyKeysTest {

    private static final Duration BOUND = Duration.ofSeconds(30);
    private static final TestDatabase db = TestStores.database("idempotency");
    private static final PostgresEventStore store = TestStores.store(db);
    private final String type = "t" + UUID.randomUUID().toString().substring(0, 8);
    private final String otherType = type + "-other";
    private final EventStore<ContractEvent> events = store.events(type, ContractCodecs.events());
    private final EventStore<ContractEvent> others = store.events(otherType, ContractCodecs.events());

    @AfterAll
    static void close() {
        store.close();
    }

    private static String newId() {
        return "a-" + UUID.randomUUID();
    }

    private static String newKey() {
        return "k-" + UUID.randomUUID();
    }

    private static CommandMetadata withKey(String key) {
        return CommandMetadata.create().withIdempotencyKey(key);
    }

    /**
     * Answering a key again takes no second connection while the append holds its first: with every connection of the
     * pool in use by appends that find their key taken (a client's retries after an outage, all at once), each would
     * wait for another connection that none gives back, until the pool's timeout failed them all. With a pool of one
     * the wait is certain.
     */
    @Test
    void aKeyIsAnsweredAgainOnTheAppendsOwnConnection() throws Exception {
        try (PostgresEventStore single = PostgresEventStore.builder(db.jdbcUrl(), db.user(), db.password())
                .poolSize(1).connectionTimeout(Duration.ofSeconds(2)).notifyOnAppend(false).migrate(false).build()) {
            EventStore<ContractEvent> store = single.events(type, ContractCodecs.events());
            String key = newKey();
            String id = newId();
            AppendResult first = store.append(id, List.of(new Incremented(1)), Optional.empty(), withKey(key));

            AppendResult again = store.append(id, List.of(new Incremented(1)), Optional.empty(), withKey(key));
            AppendResult elsewhere = store.append(newId(), List.of(new Incremented(1), new Incremented(2)), Optional.empty(),
                    withKey(key));

            assertThat(List.of(again, elsewhere)).containsOnly(first.asReplay());
            assertThat(Backends.rowsOf(db, id)).isEqualTo(1);
        }
    }

    /** Keys are one namespace per store: an append of another type with a used key gets that append back, one or more events. */
    @Test
    void aKeyFirstUsedOnAnotherAggregateTypeReturnsThatAppendAndWritesNothingHere() throws Exception {
        String key = newKey();
        String id = newId();
        AppendResult first = events.append(id, List.of(new Incremented(1)), Optional.empty(), withKey(key));

        String elsewhere = newId();
        AppendResult oneEvent = others.append(elsewhere, List.of(new Incremented(2)), Optional.empty(), withKey(key));
        AppendResult twoEvents = others.append(elsewhere, List.of(new Incremented(2), new Incremented(3)), Optional.empty(),
                withKey(key));
        AppendResult sameId = others.append(id, List.of(new Incremented(4)), Optional.empty(), withKey(key));

        assertThat(List.of(oneEvent, twoEvents, sameId)).containsOnly(first.asReplay());
        assertThat(first.stream()).isEqualTo(StreamId.of(type, id));
        assertThat(others.currentVersion(elsewhere)).isEmpty();
        assertThat(others.currentVersion(id)).isEmpty();
        assertThat(Backends.rowsOf(db, elsewhere)).isZero();
        assertThat(Backends.rowsOf(db, id)).as("only the first append's event").isEqualTo(1);
    }

    /** Through the command flow, a key of another aggregate type is the client's mistake: rejected, nothing written. */
    @Test
    void aCommandWhoseKeyWasFirstUsedOnAnotherAggregateTypeIsRejectedAndWritesNothing() throws Exception {
        var counters = CompositeEntityStore.builder(new CounterAggregate(type), events).build();
        var otherCounters = CompositeEntityStore.builder(new CounterAggregate(otherType), others).build();
        String key = newKey();
        String id = newId();
        var first = counters.execute(id, new ContractCommand.Increment(5), withKey(key));
        assertThat(first).isInstanceOf(CommandResult.Accepted.class);

        var reused = otherCounters.execute(id, new ContractCommand.Increment(7), withKey(key));

        assertThat(reused).isInstanceOfSatisfying(CommandResult.Rejected.class, r -> {
            assertThat(r.rejection().code()).isEqualTo(CompositeEntityStore.IDEMPOTENCY_KEY_REUSED);
            assertThat(r.rejection().message()).contains(StreamId.of(type, id).toString());
        });
        assertThat(others.currentVersion(id)).isEmpty();
        assertThat(Backends.rowsOf(db, id)).isEqualTo(1);
    }

    /**
     * Commands of two aggregate types race with one key, released together: one of them writes, once; the others of
     * its type get its result replayed, those of the other type are rejected; nothing else is written.
     */
    @Test
    void commandsOfTwoAggregateTypesRacingWithOneKeyWriteOnce() throws Exception {
        var counters = CompositeEntityStore.builder(new CounterAggregate(type), events).build();
        var otherCounters = CompositeEntityStore.builder(new CounterAggregate(otherType), others).build();
        String key = newKey();
        String id = newId();
        int racers = 8;
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(racers);
        List<CommandResult<ContractState, ContractEvent>> answers = Collections.synchronizedList(new ArrayList<>());
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < racers; i++) {
                var entities = i % 2 == 0 ? counters : otherCounters;
                done.add(pool.submit(() -> {
                    start.await();
                    answers.add(entities.execute(id, new ContractCommand.Increment(1), withKey(key)));
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : done) {
                f.get(BOUND.toSeconds(), TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        List<CommandResult.Accepted<ContractState, ContractEvent>> firsts = new ArrayList<>();
        for (CommandResult<ContractState, ContractEvent> answer : answers) {
            if (answer instanceof CommandResult.Accepted<ContractState, ContractEvent> a && !a.replayed()) {
                firsts.add(a);
            }
        }
        assertThat(firsts).as("commands that wrote").hasSize(1);
        StreamId winner = firsts.get(0).stream();
        for (CommandResult<ContractState, ContractEvent> answer : answers) {
            if (answer.stream().equals(winner)) {
                assertThat(answer).isInstanceOfSatisfying(CommandResult.Accepted.class, a ->
                        assertThat(a.lastPosition()).isEqualTo(firsts.get(0).lastPosition()));
            } else {
                assertThat(answer).isInstanceOfSatisfying(CommandResult.Rejected.class,
                        r -> assertThat(r.rejection().code()).isEqualTo(CompositeEntityStore.IDEMPOTENCY_KEY_REUSED));
            }
        }
        assertThat(Backends.rowsOf(db, id)).as("events of either type").isEqualTo(1);
    }

    /** The one-event append with a key, its backend terminated while it waits: sent again by the store, applied once. */
    @Test
    void aBackendTerminatedDuringAOneEventAppendWithAKeyIsSentAgainAndAppliedOnce() throws Exception {
        String id = newId();
        String key = newKey();
        try (Connection blocker = holdSequenceOne(id)) {
            CompletableFuture<AppendResult> append = CompletableFuture.supplyAsync(() ->
                    events.append(id, List.of(new Incremented(1)), Optional.empty(), withKey(key)));
            int pid = Backends.awaitBlockedAppend(db, Backends.GENERAL_APPEND, Set.of(), BOUND);
            Backends.terminate(db, pid);
            // The store sends it again on a new connection, where it waits for the blocker again.
            Backends.awaitBlockedAppend(db, Backends.GENERAL_APPEND, Set.of(pid), BOUND);
            blocker.rollback();
            AppendResult result = append.get(BOUND.toSeconds(), TimeUnit.SECONDS);
            assertThat(result.eventCount()).isEqualTo(1);
            assertThat(result.replayed()).as("the terminated statement had not committed").isFalse();
            assertThat(events.findAppend(key)).contains(result.asReplay());
        }
        assertThat(Backends.rowsOf(db, id)).isEqualTo(1);
    }

    /** The lean one-event statement, without a key: the store cannot know whether to send it again, so it says so. */
    @Test
    void aBackendTerminatedDuringAOneEventAppendWithoutAKeyFailsClearlyAndWritesNothing() throws Exception {
        String id = newId();
        StreamId stream = StreamId.of(type, id);
        try (Connection blocker = holdSequenceOne(id)) {
            CompletableFuture<AppendResult> append = CompletableFuture.supplyAsync(() ->
                    events.append(id, List.of(new Incremented(1)), Optional.empty(), CommandMetadata.create()));
            int pid = Backends.awaitBlockedAppend(db, Backends.ONE_EVENT_APPEND, Set.of(), BOUND);
            Backends.terminate(db, pid);
            assertThatThrownBy(() -> append.get(BOUND.toSeconds(), TimeUnit.SECONDS))
                    .hasCauseInstanceOf(EventStoreException.class)
                    .cause().hasMessageContaining("append to " + stream + " failed")
                    .hasMessageContaining("connection to PostgreSQL broke")
                    .hasMessageContaining("idempotency key");
            blocker.rollback();
        }
        assertThat(Backends.rowsOf(db, id)).isZero();
    }

    /**
     * The append commits, and the connection breaks before its answer arrives: the client cannot tell whether it
     * happened. The store sends it again with its key and must answer the first append (its positions, replayed),
     * not append a second time.
     */
    @Test
    void aConnectionBrokenAfterTheCommitIsSentAgainWithItsKeyAndAnsweredWithTheFirstAppend() throws Exception {
        String id = newId();
        String key = newKey();
        try (FaultProxy link = FaultProxy.start("store->postgres", port(db));
             PostgresEventStore proxied = proxiedStore(link)) {
            EventStore<ContractEvent> behindProxy = proxied.events(type, ContractCodecs.events());
            CompletableFuture<AppendResult> append = appendCommittedButUnanswered(link, id, key, behindProxy);
            link.inject(NetworkFault.reset());
            link.heal();

            AppendResult result = append.get(BOUND.toSeconds(), TimeUnit.SECONDS);

            assertThat(Backends.rowsOf(db, id)).as("events written").isEqualTo(1);
            AppendResult stored = events.findAppend(key).orElseThrow();
            assertThat(result).isEqualTo(stored);
            assertThat(result.replayed()).isTrue();
            assertThat(events.readEvents(id, Since.beginning())).singleElement()
                    .satisfies(e -> assertThat(e.sequence()).isEqualTo(result.firstSequence()));
        }
    }

    /**
     * The same, but the database stays out of reach for longer than the store waits: the store cannot find out and
     * says so (retry with the same key). The client's retry, once the database is back, gets the first append.
     */
    @Test
    void aClientRetryingWithItsKeyAfterAnUnknownOutcomeGetsTheFirstAppend() throws Exception {
        String id = newId();
        String key = newKey();
        try (FaultProxy link = FaultProxy.start("store->postgres", port(db));
             PostgresEventStore proxied = proxiedStore(link)) {
            EventStore<ContractEvent> behindProxy = proxied.events(type, ContractCodecs.events());
            CompletableFuture<AppendResult> append = appendCommittedButUnanswered(link, id, key, behindProxy);
            link.inject(NetworkFault.reset()); // and every connection after it, for longer than the pool waits

            assertThatThrownBy(() -> append.get(BOUND.toSeconds(), TimeUnit.SECONDS))
                    .hasCauseInstanceOf(EventStoreException.class)
                    .cause().hasMessageContaining("connection to PostgreSQL broke")
                    .hasMessageContaining("retry the command with the same idempotency key");
            link.heal();
            AppendResult retried = behindProxy.append(id, List.of(new Incremented(1)), Optional.empty(), withKey(key));

            assertThat(retried).isEqualTo(events.findAppend(key).orElseThrow());
            assertThat(retried.replayed()).isTrue();
            assertThat(Backends.rowsOf(db, id)).as("events written").isEqualTo(1);
        }
    }

    /**
     * Starts a one-event append with {@code key} through {@code link} that commits while the link holds its answer
     * back: a blocker holds the stream's first sequence, the append waits for it, the link starts holding back what
     * it reads (a latency longer than the test, so that the answer is never delivered: a blackhole would deliver it
     * the moment it is lifted), the blocker rolls back, and the append commits on the server. Returns once the
     * commit is visible; the caller then resets the link, which drops the answer.
     */
    private CompletableFuture<AppendResult> appendCommittedButUnanswered(FaultProxy link, String id, String key,
                                                                        EventStore<ContractEvent> behindProxy) throws Exception {
        try (Connection blocker = holdSequenceOne(id)) {
            CompletableFuture<AppendResult> append = CompletableFuture.supplyAsync(() ->
                    behindProxy.append(id, List.of(new Incremented(1)), Optional.empty(), withKey(key)));
            Backends.awaitBlockedAppend(db, Backends.GENERAL_APPEND, Set.of(), BOUND);
            link.inject(NetworkFault.latency(Duration.ofMinutes(2), Duration.ZERO));
            blocker.rollback();
            Backends.await(() -> keyCommitted(key), BOUND, "the append's commit on the server");
            assertThat(append).as("the client has no answer").isNotDone();
            return append;
        }
    }

    /** An uncommitted append of event 1 to {@code id}, from a session of its own: another append of event 1 waits for it. */
    private Connection holdSequenceOne(String id) throws Exception {
        Connection blocker = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        blocker.setAutoCommit(false);
        Appender appender = new Appender(store.dataSource(), store.schema(), Optional.empty(), 1_000_000);
        appender.appendWith(blocker, StreamId.of(type, id),
                List.of(new EncodedEvent("Incremented", ContractCodecs.CONTENT_TYPE, "9".getBytes())), Optional.empty(),
                CommandMetadata.create());
        return blocker;
    }

    private static boolean keyCommitted(String key) {
        try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
             PreparedStatement ps = c.prepareStatement("SELECT 1 FROM cqrs.idempotency_keys WHERE idempotency_key = ?")) {
            ps.setString(1, key);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A store through {@code link}, with one connection (so a wave of resets leaves it none that is stale) and a short wait for it. */
    private static PostgresEventStore proxiedStore(FaultProxy link) {
        return PostgresEventStore.builder(Backends.jdbcUrlThrough(db, link.port()), db.user(), db.password())
                .poolSize(1).connectionTimeout(Duration.ofSeconds(2)).notifyOnAppend(false).migrate(false).build();
    }

    private static int port(TestDatabase database) {
        return java.net.URI.create(database.jdbcUrl().substring("jdbc:".length())).getPort();
    }
}
