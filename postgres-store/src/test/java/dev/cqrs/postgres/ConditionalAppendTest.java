package dev.cqrs.postgres;

import static dev.cqrs.core.contract.TaggedContractEvent.tags;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cqrs.core.AppendResult;
import dev.cqrs.core.CommandMetadata;
import dev.cqrs.core.EventStore;
import dev.cqrs.core.RawEvent;
import dev.cqrs.core.StreamId;
import dev.cqrs.core.Tag;
import dev.cqrs.core.codec.EncodedEvent;
import dev.cqrs.core.contract.TaggedContractCodecs;
import dev.cqrs.core.contract.TaggedContractEvent;
import dev.cqrs.core.contract.TaggedContractEvent.Opened;
import dev.cqrs.core.contract.TaggedContractEvent.Plain;
import dev.cqrs.core.dcb.AppendCondition;
import dev.cqrs.core.dcb.AppendConditionFailedException;
import dev.cqrs.core.dcb.DcbEventStore;
import dev.cqrs.core.dcb.MatchingEvents;
import dev.cqrs.core.dcb.Query;
import dev.cqrs.core.dcb.QueryItem;
import dev.cqrs.embedded.postgres.TestDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The hard part of append conditions on PostgreSQL: appends that commit late. A transaction holds an
 * append open (on a connection of the test's own) while another decides and appends; the locks must
 * make the late one either visible to the check or ordered after the conditional append.
 */
class ConditionalAppendTest {

    private static final TestDatabase db = TestStores.database("dcblocks");
    private static final PostgresEventStore store = TestStores.store(db);
    private final String type = "t" + UUID.randomUUID().toString().substring(0, 8);
    private final DcbEventStore<TaggedContractEvent> dcb = store.dcb(type, TaggedContractCodecs.events());
    private final EventStore<TaggedContractEvent> streams = store.events(type, TaggedContractCodecs.events());
    private final Appender appender = new Appender(store.dataSource(), store.schema(), Optional.empty(), 1_000_000);
    private final ConditionalAppender conditional = new ConditionalAppender(store.dataSource(), store.schema(), appender);

    @AfterAll
    static void close() {
        store.close();
    }

    private static String unique(String key) {
        return key + ":" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static EncodedEvent encoded(TaggedContractEvent event) {
        return TaggedContractCodecs.events().encode(event).withTags(event.eventTags());
    }

    /** Begins an append of {@code event} on a connection of its own and leaves its transaction open. */
    private AppendResult holdOpen(Connection connection, String id, TaggedContractEvent event,
                                  Optional<AppendCondition> condition) throws SQLException, Appender.ConflictFound {
        connection.setAutoCommit(false);
        StreamId stream = StreamId.of(type, id);
        List<EncodedEvent> events = List.of(encoded(event));
        return conditional.appendWith(connection, stream, events, Optional.empty(), condition, CommandMetadata.create(),
                conditional.locksFor(stream, events, condition));
    }

    @Test
    void aReadWaitsForAnOpenAppendOfAMatchingEventAndThenSeesIt() throws Exception {
        String course = unique("course");
        Query query = Query.of(QueryItem.ofTags(Tag.of(course)));
        try (Connection late = connect()) {
            AppendResult lateAppend = holdOpen(late, "late", new Opened("late", tags(course)), Optional.empty());
            CompletableFuture<MatchingEvents<TaggedContractEvent>> read = CompletableFuture.supplyAsync(() -> dcb.read(query));
            awaitWaitingOnALock("the read waits for the open append's lock");
            assertThat(read).as("blocked until the open append ends").isNotDone();
            late.commit();

            MatchingEvents<TaggedContractEvent> seen = read.get(30, TimeUnit.SECONDS);
            assertThat(seen.events()).extracting(e -> e.event().text()).containsExactly("late");
            assertThat(seen.position()).isGreaterThanOrEqualTo(lateAppend.lastPosition());
        }
    }

    @Test
    void aTaggedAppendThatCommitsLateCannotSlipPastACondition() throws Exception {
        String course = unique("course");
        Query query = Query.of(QueryItem.ofTags(Tag.of(course)));
        MatchingEvents<TaggedContractEvent> read = readWithin(query);
        assertThat(read.events()).isEmpty();
        try (Connection late = connect()) {
            // Appended after the read, still open when the decision appends: the check cannot see it yet.
            AppendResult lateAppend = holdOpen(late, "late", new Opened("late", tags(course)), Optional.empty());
            CompletableFuture<AppendResult> decided = CompletableFuture.supplyAsync(() -> dcb.append("decided",
                    List.of(new Opened("decided", tags(course))), read.appendCondition(), CommandMetadata.create()));
            awaitWaitingOnALock("the conditional append waits for the late append's lock");
            assertThat(decided).as("blocked until the late append ends").isNotDone();
            late.commit();

            assertThat(cause(decided)).isInstanceOf(AppendConditionFailedException.class);
            AppendConditionFailedException conflict = (AppendConditionFailedException) cause(decided);
            assertThat(conflict.failure().found().position()).isEqualTo(lateAppend.lastPosition());
            assertThat(conflict.failure().found().stream()).isEqualTo(StreamId.of(type, "late"));
        }
        assertThat(readWithin(query).events())
                .extracting(e -> e.event().text()).containsExactly("late");
    }

    @Test
    void aReadCoversEventsCommittedAboveTheGlobalLogsBoundSoADecisionDoesNotConflictWithItsOwnPast() throws Exception {
        String course = unique("course");
        Query query = Query.of(QueryItem.ofTags(Tag.of(course)));
        try (Connection older = connect()) {
            // An unrelated, untagged append left open holds the global log's bound below everything after it.
            older.setAutoCommit(false);
            appender.appendWith(older, StreamId.of(type, "older"), List.of(encoded(new Plain("older"))), Optional.empty(),
                    CommandMetadata.create());
            AppendResult mine = streams.append("mine", List.of(new Opened("mine", tags(course))), Optional.empty(),
                    CommandMetadata.create());
            assertThat(store.globalLog().headPosition()).as("the log's readers cannot see it yet")
                    .isLessThan(mine.lastPosition());

            MatchingEvents<TaggedContractEvent> read = readWithin(query);
            assertThat(read.events()).extracting(e -> e.event().text()).containsExactly("mine");
            assertThat(read.position()).isGreaterThanOrEqualTo(mine.lastPosition());
            AppendResult next = CompletableFuture.supplyAsync(() -> dcb.append("mine", List.of(new Opened("next", tags(course))),
                    read.appendCondition(), CommandMetadata.create())).get(30, TimeUnit.SECONDS);
            assertThat(next.lastPosition()).isGreaterThan(mine.lastPosition());
            older.rollback();
        }
    }

    @Test
    void aTaggedWriterWaitsForAnOpenConditionalAppendAndIsOrderedAfterIt() throws Exception {
        String course = unique("course");
        Query query = Query.of(QueryItem.ofTags(Tag.of(course)));
        try (Connection decider = connect()) {
            MatchingEvents<TaggedContractEvent> read = readWithin(query);
            AppendResult decided = holdOpen(decider, "decided", new Opened("decided", tags(course)),
                    Optional.of(read.appendCondition()));

            CompletableFuture<AppendResult> writer = CompletableFuture.supplyAsync(() -> streams.append("writer",
                    List.of(new Opened("writer", tags(course))), Optional.empty(), CommandMetadata.create()));
            awaitWaitingOnALock("the tagged writer waits for the conditional append's lock");
            assertThat(writer).isNotDone();
            decider.commit();

            AppendResult written = writer.get(30, TimeUnit.SECONDS);
            assertThat(written.lastPosition()).as("the writer took its position after the decision committed")
                    .isGreaterThan(decided.lastPosition());
        }
        assertThat(readWithin(query).events())
                .extracting(e -> e.event().text()).containsExactly("decided", "writer");
    }

    @Test
    void untaggedAppendsTakeNoLockEvenWhileAConditionOnTagsIsOpen() throws Exception {
        String course = unique("course");
        try (Connection decider = connect()) {
            holdOpen(decider, "decided", new Opened("decided", tags(course)),
                    Optional.of(readWithin(Query.of(QueryItem.ofTypes(Opened.class).withTags(Tag.of(course)))).appendCondition()));

            // Same aggregate type, same event type, no tag: not serialised with the open decision.
            AppendResult plain = CompletableFuture.supplyAsync(() -> streams.append("plain",
                    List.of(new Plain("untagged")), Optional.empty(), CommandMetadata.create())).get(10, TimeUnit.SECONDS);
            assertThat(plain.eventCount()).isEqualTo(1);
            decider.rollback();
        }
    }

    @Test
    void aConditionOnTypesAloneHoldsOffEveryAppendUntilItCommits() throws Exception {
        try (Connection decider = connect()) {
            MatchingEvents<TaggedContractEvent> read = readWithin(Query.of(QueryItem.ofTypes(Plain.class)));
            AppendResult decided = holdOpen(decider, "decided", new Plain("decided"), Optional.of(read.appendCondition()));

            CompletableFuture<AppendResult> plain = CompletableFuture.supplyAsync(() -> streams.append("plain",
                    List.of(new Plain("untagged")), Optional.empty(), CommandMetadata.create()));
            awaitWaitingOnALock("an untagged append waits for the table lock of a types-only condition");
            decider.commit();
            assertThat(plain.get(30, TimeUnit.SECONDS).lastPosition()).isGreaterThan(decided.lastPosition());
        }
    }

    /**
     * What reads by query rest on: statements sent together before one Sync (a multi-statement prepared
     * statement in autocommit) are one transaction, so an advisory lock taken by the first is still held
     * while the next runs.
     */
    @Test
    void aLockTakenByTheFirstStatementOfAMultiStatementIsHeldByTheNext() throws Exception {
        try (Connection c = connect(); PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_xact_lock(?, ?);"
                + " SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted"
                + " AND classid = ? AND objid = ?")) {
            int classId = 777_001;
            ps.setInt(1, classId);
            ps.setInt(2, 42);
            ps.setInt(3, classId);
            ps.setInt(4, 42);
            ps.execute();
            assertThat(ps.getMoreResults()).isTrue();
            try (ResultSet rs = ps.getResultSet()) {
                rs.next();
                assertThat(rs.getInt(1)).as("the lock, seen from the second statement").isEqualTo(1);
            }
            try (PreparedStatement after = c.prepareStatement("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                    + " AND pid = pg_backend_pid() AND classid = ?")) {
                after.setInt(1, classId);
                try (ResultSet rs = after.executeQuery()) {
                    rs.next();
                    assertThat(rs.getInt(1)).as("released when that transaction ended").isZero();
                }
            }
        }
    }

    @Test
    void theGlobalLogCarriesEachEventsTags() {
        String course = unique("course");
        AppendResult tagged = streams.append("s", List.of(new Opened("a", tags(course, "student:s7")), new Plain("b")),
                Optional.empty(), CommandMetadata.create());
        List<RawEvent> log = store.globalLog().readAfter(tagged.firstPosition() - 1, 2);
        assertThat(log).hasSize(2);
        assertThat(log.get(0).tags()).containsExactly(Tag.of(course), Tag.of("student:s7"));
        assertThat(log.get(1).tags()).isEmpty();
    }

    /**
     * The global log's bound rests on the events insert being its transaction's first write (the append's lock
     * on the events table is taken before its transaction id). What a conditional or tagged append sends
     * before the Appender's statement (advisory locks, the table lock, the check) must therefore take no
     * transaction id: probed in the same round trip and transaction, for every kind of prelude.
     */
    @Test
    void whatRunsBeforeTheInsertTakesNoTransactionId() throws Exception {
        String course = unique("course");
        StreamId stream = StreamId.of(type, "first-write");
        List<EncodedEvent> tagged = List.of(encoded(new Opened("x", tags(course, "student:s1"))));
        List<Optional<Query>> kinds = List.of(
                Optional.empty(), // a tagged append without a condition: shared locks only
                Optional.of(Query.of(QueryItem.ofTags(Tag.of(course)))),
                Optional.of(Query.of(QueryItem.ofTypes(Opened.class).withTags(Tag.of(course)),
                        QueryItem.ofTags(Tag.of("student:s1")))),
                Optional.of(Query.of(QueryItem.ofTypes(Plain.class))), // the table lock
                Optional.of(Query.all()));
        for (Optional<Query> query : kinds) {
            Optional<AppendCondition> condition = query.isEmpty() ? Optional.empty()
                    : Optional.of(readWithin(query.get()).appendCondition());
            ConsistencyLocks.Needed needed = conditional.locksFor(stream, tagged, condition);
            Prelude prelude = conditional.prelude(stream, condition, needed);
            assertThat(prelude.statements()).as("something runs before the insert for %s", query).isPositive();
            assertThat(transactionIdAfter(prelude, needed.table != ConsistencyLocks.TableLock.NONE))
                    .as("a transaction id taken before the insert, by %s", prelude.sql()).isNull();
        }
        // The probe sees an id when one was taken: a prelude that takes one.
        Prelude takesAnId = new Prelude() {
            @Override
            public String sql() {
                return "SELECT pg_current_xact_id(); ";
            }

            @Override
            public int bind(PreparedStatement ps) {
                return 1;
            }

            @Override
            public int statements() {
                return 1;
            }
        };
        assertThat(transactionIdAfter(takesAnId, false)).as("the probe itself").isNotNull();
    }

    /** {@code prelude}, then {@code pg_current_xact_id_if_assigned()}, in one round trip: NULL if no id was taken. */
    private Object transactionIdAfter(Prelude prelude, boolean inTransactionBlock) throws SQLException {
        try (Connection c = connect()) {
            c.setAutoCommit(!inTransactionBlock); // LOCK TABLE runs only in a block, as ConditionalAppender opens one
            try (PreparedStatement ps = c.prepareStatement(prelude.sql() + "SELECT pg_current_xact_id_if_assigned()::text")) {
                prelude.bind(ps);
                try (ResultSet rs = prelude.execute(ps)) {
                    rs.next();
                    return rs.getObject(1);
                }
            } finally {
                if (inTransactionBlock) {
                    c.rollback();
                }
            }
        }
    }

    /** A read that must not block: at most 30 s. */
    private MatchingEvents<TaggedContractEvent> readWithin(Query query) throws Exception {
        return CompletableFuture.supplyAsync(() -> dcb.read(query)).get(30, TimeUnit.SECONDS);
    }

    private Connection connect() throws SQLException {
        return DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
    }

    /** Waits (at most 15 s) until a backend of this database waits on an advisory or table lock. */
    private void awaitWaitingOnALock(String what) throws Exception {
        try (Connection c = connect();
             PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                     + " AND wait_event_type = 'Lock' AND wait_event IN ('advisory', 'relation')")) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            while (System.nanoTime() < deadline) {
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (rs.getInt(1) > 0) {
                        return;
                    }
                }
                Thread.sleep(10);
            }
        }
        throw new AssertionError("not seen within 15 s: " + what);
    }

    private static Throwable cause(CompletableFuture<?> future) throws Exception {
        try {
            future.get(30, TimeUnit.SECONDS);
            throw new AssertionError("expected a failure, got " + future.get());
        } catch (ExecutionException e) {
            return e.getCause();
        }
    }

}
