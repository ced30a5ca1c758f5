package dev.cqrs.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cqrs.core.AppendResult;
import dev.cqrs.core.CommandMetadata;
import dev.cqrs.core.CommandResult;
import dev.cqrs.core.EventStore;
import dev.cqrs.core.EventStoreException;
import dev.cqrs.core.Precondition;
import dev.cqrs.core.RawEvent;
import dev.cqrs.core.Since;
import dev.cqrs.core.StreamId;
import dev.cqrs.core.Version;
import dev.cqrs.core.codec.CodecException;
import dev.cqrs.core.codec.EncodedEvent;
import dev.cqrs.core.codec.EventCodec;
import dev.cqrs.core.contract.ContractCodecs;
import dev.cqrs.core.contract.ContractCommand;
import dev.cqrs.core.contract.ContractEvent;
import dev.cqrs.core.contract.ContractEvent.Incremented;
import dev.cqrs.core.contract.ContractEvent.Renamed;
import dev.cqrs.core.contract.CounterAggregate;
import dev.cqrs.embedded.postgres.TestDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** What the PostgreSQL store promises beyond the contract: limits, broken connections, the log, listing. */
class PostgresEventStoreTest {

    private static final TestDatabase db = TestStores.database("store");
    private static final PostgresEventStore store = TestStores.store(db);
    private final String type = "t" + UUID.randomUUID().toString().substring(0, 8);
    private final EventStore<ContractEvent> events = store.events(type, ContractCodecs.events());

    @AfterAll
    static void close() {
        store.close();
    }

    private static String newId() {
        return "a-" + UUID.randomUUID();
    }

    private long rowsOf(String id) throws Exception {
        try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
             PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM cqrs.events WHERE aggregate_id = ?")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** A service's common path: the store picks the streams from the aggregate's type; no Optional, no cast. */
    @Test
    void entitiesRunAnAggregatesCommandsOnTheStreamsOfItsType() {
        String id = newId();
        var counters = store.entities(new CounterAggregate(type), ContractCodecs.events()).build();

        var first = counters.execute(id, new ContractCommand.Increment(2), Precondition.isNew(), CommandMetadata.create())
                .accepted().orElseThrow();
        var again = counters.execute(id, new ContractCommand.Increment(3), Precondition.isNew(), CommandMetadata.create());

        assertThat(first.stream()).isEqualTo(StreamId.of(type, id));
        assertThat(first.version()).isEqualTo(Version.of(1));
        assertThat(events.readEvents(id, Since.beginning())).extracting(e -> e.event()).containsExactly(new Incremented(2));
        assertThat(again.accepted()).as("a second create-only command conflicts").isEmpty();
        assertThat(again).isInstanceOf(CommandResult.Conflict.class);
    }

    @Test
    void aPayloadOverTheLimitIsRejectedAndNothingOfTheAppendIsWritten() throws Exception {
        String id = newId();
        String atLimit = "x".repeat(PostgresEventStore.DEFAULT_MAX_PAYLOAD_BYTES);
        events.append(id, List.of(new Renamed(atLimit)), Optional.empty(), CommandMetadata.create());
        assertThat(events.readEvents(id, Since.beginning()).get(0).event()).isEqualTo(new Renamed(atLimit));

        String other = newId();
        assertThatThrownBy(() -> events.append(other, List.of(new Incremented(1), new Renamed(atLimit + "x")),
                Optional.empty(), CommandMetadata.create()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("1000001 bytes")
                .hasMessageContaining("the limit is 1000000 bytes per event");
        assertThat(rowsOf(other)).isZero();
    }

    @Test
    void tooManyEventsInOneAppendAreRejected() {
        List<ContractEvent> many = java.util.stream.IntStream.range(0, Appender.MAX_EVENTS_PER_APPEND + 1)
                .<ContractEvent>mapToObj(Incremented::new).toList();
        assertThatThrownBy(() -> events.append(newId(), many, Optional.empty(), CommandMetadata.create()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at most 10000 events");
    }

    @Test
    void aBigAppendIsWrittenWholeWithContiguousSequencesAndPositions() {
        String id = newId();
        List<ContractEvent> batch = java.util.stream.IntStream.rangeClosed(1, 5_000).<ContractEvent>mapToObj(Incremented::new).toList();
        AppendResult result = events.append(id, batch, Optional.of(Precondition.isNew()), CommandMetadata.create());
        assertThat(result.eventCount()).isEqualTo(5_000);
        assertThat(result.lastPosition() - result.firstPosition()).isEqualTo(4_999);
        assertThat(events.readEvents(id, Since.beginning())).extracting(e -> e.event()).isEqualTo(batch);
    }

    @Test
    void aBackendTerminatedInTheMiddleOfAnAppendLeavesNothingHalfWritten() throws Exception {
        String id = newId();
        StreamId stream = StreamId.of(type, id);
        Appender appender = new Appender(store.dataSource(), store.schema(), Optional.empty(), 1_000_000);
        try (Connection blocker = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password())) {
            // An uncommitted append of event 1 makes the store's append of events 1..3 wait on the unique index.
            blocker.setAutoCommit(false);
            appender.appendWith(blocker, stream, List.of(new EncodedEvent("Incremented", ContractCodecs.CONTENT_TYPE, "9".getBytes())),
                    Optional.empty(), CommandMetadata.create());
            CompletableFuture<AppendResult> append = CompletableFuture.supplyAsync(() -> events.append(id,
                    List.of(new Incremented(1), new Incremented(2), new Incremented(3)), Optional.empty(), CommandMetadata.create()));
            int pid = Backends.awaitBlockedAppend(db, Backends.GENERAL_APPEND, Set.of(), Duration.ofSeconds(10));
            Backends.terminate(db, pid);
            assertThatThrownBy(() -> append.get(30, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(EventStoreException.class)
                    .cause().hasMessageContaining("append to " + stream + " failed")
                    .hasMessageContaining("connection to PostgreSQL broke")
                    .hasMessageContaining("idempotency key");
            blocker.rollback();
        }
        assertThat(rowsOf(id)).isZero();
        assertThat(events.currentVersion(id)).isEmpty();
        // The pool replaced the broken connection: the store goes on.
        events.append(id, List.of(new Incremented(1)), Optional.of(Precondition.isNew()), CommandMetadata.create());
        assertThat(events.currentVersion(id)).contains(Version.of(1));
    }

    @Test
    void anAppendWithAnIdempotencyKeyWhoseConnectionBreaksIsSentAgainAndAppliedOnce() throws Exception {
        String id = newId();
        StreamId stream = StreamId.of(type, id);
        Appender appender = new Appender(store.dataSource(), store.schema(), Optional.empty(), 1_000_000);
        String key = "k-" + UUID.randomUUID();
        try (Connection blocker = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password())) {
            blocker.setAutoCommit(false);
            appender.appendWith(blocker, stream, List.of(new EncodedEvent("Incremented", ContractCodecs.CONTENT_TYPE, "9".getBytes())),
                    Optional.empty(), CommandMetadata.create());
            CompletableFuture<AppendResult> append = CompletableFuture.supplyAsync(() -> events.append(id,
                    List.of(new Incremented(1), new Incremented(2), new Incremented(3)), Optional.empty(),
                    CommandMetadata.create().withIdempotencyKey(key)));
            int pid = Backends.awaitBlockedAppend(db, Backends.GENERAL_APPEND, Set.of(), Duration.ofSeconds(10));
            Backends.terminate(db, pid);
            // The store sends it again on a new connection, where it waits for the blocker again.
            Backends.awaitBlockedAppend(db, Backends.GENERAL_APPEND, Set.of(pid), Duration.ofSeconds(10));
            blocker.rollback();
            AppendResult result = append.get(30, TimeUnit.SECONDS);
            assertThat(result.eventCount()).isEqualTo(3);
        }
        assertThat(rowsOf(id)).isEqualTo(3);
        assertThat(events.findAppend(key)).isPresent();
    }

    @Test
    void racingCommandsWithOneIdempotencyKeyWriteOnceAndAllGetTheSameAnswer() throws Exception {
        String id = newId();
        String key = "k-" + UUID.randomUUID();
        int racers = 12;
        ExecutorService pool = Executors.newFixedThreadPool(racers);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<AppendResult>> answers = new ArrayList<>();
            for (int i = 0; i < racers; i++) {
                answers.add(pool.submit(() -> {
                    start.await();
                    return events.append(id, List.of(new Incremented(1), new Incremented(2)), Optional.empty(),
                            CommandMetadata.create().withIdempotencyKey(key));
                }));
            }
            start.countDown();
            Set<AppendResult> distinct = new HashSet<>();
            int firsts = 0;
            for (Future<AppendResult> answer : answers) {
                AppendResult result = answer.get(30, TimeUnit.SECONDS);
                firsts += result.replayed() ? 0 : 1;
                distinct.add(result.asReplay());
            }
            assertThat(firsts).isEqualTo(1);
            assertThat(distinct).hasSize(1);
        } finally {
            pool.shutdownNow();
        }
        assertThat(rowsOf(id)).isEqualTo(2);
    }

    @Test
    void anEventThatCannotBeDecodedIsReportedWithItsStreamAndNumber() {
        String id = newId();
        events.append(id, List.of(new Incremented(1)), Optional.empty(), CommandMetadata.create());
        EventStore<ContractEvent> strict = store.events(type, new EventCodec<>() {
            @Override
            public EncodedEvent encode(ContractEvent event) {
                throw new CodecException("unused");
            }

            @Override
            public ContractEvent decode(EncodedEvent encoded) {
                throw new CodecException("unknown event type '" + encoded.eventType() + "'");
            }
        });
        assertThatThrownBy(() -> strict.readEvents(id, Since.beginning()))
                .isInstanceOf(EventStoreException.class)
                .hasMessageContaining("event 1 of " + type + "/" + id)
                .hasMessageContaining("unknown event type 'Incremented'");
    }

    @Test
    void theGlobalLogFiltersByAggregateAndEventType() {
        String id = newId();
        long before = store.globalLog().headPosition();
        events.append(id, List.of(new Incremented(1), new Renamed("r"), new Incremented(2)), Optional.empty(), CommandMetadata.create());
        store.events(type + "-other", ContractCodecs.events()).append(id, List.of(new Incremented(3)), Optional.empty(), CommandMetadata.create());

        List<RawEvent> mine = store.globalLog().readAfter(before, 100, EventFilter.aggregateTypes(type));
        assertThat(mine).extracting(RawEvent::eventType).containsExactly("Incremented", "Renamed", "Incremented");
        List<RawEvent> renames = store.globalLog().readAfter(before, 100, EventFilter.aggregateTypes(type).withEventTypes("Renamed"));
        assertThat(renames).singleElement().satisfies(e -> {
            assertThat(e.stream()).isEqualTo(StreamId.of(type, id));
            assertThat(e.sequence().value()).isEqualTo(2);
            assertThat(new String(e.payload())).isEqualTo("r");
            assertThat(e.contentType()).isEqualTo(ContractCodecs.CONTENT_TYPE);
        });
        assertThat(store.globalLog().headPosition()).isGreaterThan(before);
        assertThat(store.globalLog().countAfter(before)).isGreaterThanOrEqualTo(4);
    }

    @Test
    void aggregateIdsArePagedInIdOrderStablyWhileOthersAreAdded() {
        String listed = "listed-" + UUID.randomUUID().toString().substring(0, 6);
        EventStore<ContractEvent> streams = store.events(listed, ContractCodecs.events());
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            String id = String.format("id-%02d", i);
            ids.add(id);
            streams.append(id, List.of(new Incremented(1), new Incremented(2)), Optional.empty(), CommandMetadata.create());
        }
        List<String> pages = new ArrayList<>();
        Optional<String> after = Optional.empty();
        while (true) {
            List<String> page = store.aggregateIds(listed, after, 10);
            pages.addAll(page);
            if (page.size() < 10) {
                break;
            }
            after = Optional.of(page.get(page.size() - 1));
            streams.append("id-00-new", List.of(new Incremented(1)), Optional.empty(), CommandMetadata.create());
        }
        assertThat(pages).startsWith(ids.subList(0, 10).toArray(String[]::new)).doesNotHaveDuplicates()
                .containsAll(ids).doesNotContain("id-00-new");
    }

    @Test
    void aStoreRefusesADatabaseWhosePositionsAreAheadOfTheServersTransactionIds() throws Exception {
        TestDatabase restored = TestStores.database("restored");
        TestStores.store(restored).close();
        try (Connection c = DriverManager.getConnection(restored.jdbcUrl(), restored.user(), restored.password());
             Statement s = c.createStatement()) {
            s.execute("INSERT INTO cqrs.events (global_position, aggregate_type, aggregate_id, sequence, event_type,"
                    + " content_type, payload, event_id, correlation_id) VALUES (" + (1L << 60) + ", 'x', 'y', 1, 'E', 't',"
                    + " '\\x00', gen_random_uuid(), gen_random_uuid())");
        }
        assertThatThrownBy(() -> TestStores.store(restored))
                .isInstanceOf(EventStoreException.class)
                .hasMessageContaining("restored into another cluster");
    }

    @Test
    void aWrongPasswordOrAnUnreachableServerIsAClearError() {
        assertThatThrownBy(() -> PostgresEventStore.builder("jdbc:postgresql://127.0.0.1:1/nowhere", "u", "p")
                .connectionTimeout(Duration.ofSeconds(2)).build())
                .isInstanceOf(EventStoreException.class)
                .hasMessageContaining("cannot connect to PostgreSQL at jdbc:postgresql://127.0.0.1:1/nowhere");
    }
}
