package dev.cqrs.core.contract;

import static dev.cqrs.core.contract.TaggedContractEvent.tags;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cqrs.core.AppendResult;
import dev.cqrs.core.CommandMetadata;
import dev.cqrs.core.EventNumber;
import dev.cqrs.core.EventStore;
import dev.cqrs.core.Precondition;
import dev.cqrs.core.PreconditionFailedException;
import dev.cqrs.core.Since;
import dev.cqrs.core.StreamId;
import dev.cqrs.core.Tag;
import dev.cqrs.core.Version;
import dev.cqrs.core.contract.TaggedContractEvent.Closed;
import dev.cqrs.core.contract.TaggedContractEvent.Noted;
import dev.cqrs.core.contract.TaggedContractEvent.Opened;
import dev.cqrs.core.contract.TaggedContractEvent.Plain;
import dev.cqrs.core.dcb.AppendCondition;
import dev.cqrs.core.dcb.AppendConditionFailed;
import dev.cqrs.core.dcb.AppendConditionFailedException;
import dev.cqrs.core.dcb.DcbEventStore;
import dev.cqrs.core.dcb.DecisionResult;
import dev.cqrs.core.dcb.Decisions;
import dev.cqrs.core.dcb.MatchingEvents;
import dev.cqrs.core.dcb.Query;
import dev.cqrs.core.dcb.QueryItem;
import dev.cqrs.core.dcb.SequencedEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * What every store of dynamic consistency boundaries must do: tags kept with events, reads by query
 * (the DCB specification's query items), and append conditions checked atomically with the append,
 * also against concurrent appends. A store module extends this class and says how to make its stores;
 * every test uses a fresh aggregate type, so stores may share one database.
 */
public abstract class DcbStoreContract {

    /** A DCB store of {@code aggregateType}; stores made in one test share their storage with {@link #eventStore}. */
    protected abstract DcbEventStore<TaggedContractEvent> dcbStore(String aggregateType);

    /** The same streams as an aggregate's event store. */
    protected abstract EventStore<TaggedContractEvent> eventStore(String aggregateType);

    /** Threads in the race tests. */
    protected int raceThreads() {
        return 8;
    }

    /** Rounds of the race tests. */
    protected int raceRounds() {
        return 20;
    }

    private final String type = "tagged-" + UUID.randomUUID().toString().substring(0, 8);

    private DcbEventStore<TaggedContractEvent> store() {
        return dcbStore(type);
    }

    private EventStore<TaggedContractEvent> streams() {
        return eventStore(type);
    }

    private static CommandMetadata meta() {
        return CommandMetadata.create();
    }

    private static String newId() {
        return "s-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static Tag tag(String text) {
        return Tag.of(text);
    }

    /** A unique tag, so that a test's queries cannot see another test's events. */
    private static String unique(String key) {
        return key + ":" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** Appends one event to a new stream, unconditionally, and returns its position. */
    private long append(TaggedContractEvent event) {
        return store().append(newId(), List.of(event), Optional.empty(), Optional.empty(), meta()).lastPosition();
    }

    private static List<String> texts(MatchingEvents<TaggedContractEvent> read) {
        return read.events().stream().map(e -> e.event().text()).toList();
    }

    private AppendConditionFailed assertConditionFails(String streamId, List<TaggedContractEvent> events,
                                                       AppendCondition condition) {
        Optional<Version> before = streams().currentVersion(streamId);
        var thrown = org.assertj.core.api.Assertions.catchThrowableOfType(AppendConditionFailedException.class,
                () -> store().append(streamId, events, condition, meta()));
        assertThat(thrown).as("the append under " + condition + " must fail").isNotNull();
        assertThat(streams().currentVersion(streamId)).as("nothing written").isEqualTo(before);
        assertThat(thrown.failure().stream()).isEqualTo(StreamId.of(type, streamId));
        assertThat(thrown.failure().condition()).isEqualTo(condition);
        assertThat(thrown.getMessage()).contains(thrown.failure().found().eventType());
        return thrown.failure();
    }

    @Nested
    class Reads {

        @Test
        void aQueryThatMatchesNothingReadsNoEventsAndCoversEveryPositionWrittenBefore() {
            long last = append(new Opened("a", tags(unique("course"))));
            MatchingEvents<TaggedContractEvent> read = store().read(Query.of(QueryItem.ofTags(tag(unique("course")))));
            assertThat(read.events()).isEmpty();
            assertThat(read.position()).isGreaterThanOrEqualTo(last);
        }

        /**
         * The empty query: a query of no items, or an item of no types and no tags, is refused with the
         * name of the query that matches every event, so that "nothing to match" never silently reads
         * (or guards) everything or nothing; {@code Query.all()} is that query, and a condition on it
         * is checked like any other.
         */
        @Test
        void anEmptyQueryIsRefusedAndQueryAllIsTheQueryOfEverything() {
            assertThatThrownBy(() -> Query.of()).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Query.all()");
            assertThatThrownBy(() -> Query.of(List.of())).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> QueryItem.ofTags()).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("Query.all()");
            assertThatThrownBy(() -> QueryItem.ofTypeNames()).isInstanceOf(IllegalArgumentException.class);
            assertThat(Query.all().isAll()).isTrue();
            long last = append(new Plain("untagged"));
            MatchingEvents<TaggedContractEvent> read = store().read(Query.all());
            assertThat(read.events()).extracting(SequencedEvent::position).contains(last);
            assertThat(read.position()).isGreaterThanOrEqualTo(last);
        }

        @Test
        void queryAllReadsEveryEventOfTheAggregateTypeInLogOrderAndNoOtherType() {
            append(new Opened("one", tags("a:1")));
            append(new Plain("two"));
            store().append("same", List.of(new Noted("three", tags("a:1", "b:2")), new Closed("four", Set.of())),
                    Optional.empty(), Optional.empty(), meta());
            dcbStore(type + "-other").append(newId(), List.of(new Opened("elsewhere", tags("a:1"))), Optional.empty(),
                    Optional.empty(), meta());

            MatchingEvents<TaggedContractEvent> read = store().read(Query.all());
            assertThat(texts(read)).containsExactly("one", "two", "three", "four");
            List<Long> positions = read.events().stream().map(SequencedEvent::position).toList();
            assertThat(positions).isSorted().doesNotHaveDuplicates();
            assertThat(read.position()).isGreaterThanOrEqualTo(positions.getLast());
        }

        @Test
        void aTypesOnlyItemMatchesEveryEventOfItsTypesTaggedOrNot() {
            String t = unique("t");
            append(new Opened("tagged", tags(t)));
            append(new Plain("plain"));
            append(new Noted("other type", tags(t)));
            append(new Closed("closed", Set.of()));

            assertThat(texts(store().read(Query.of(QueryItem.ofTypes(Opened.class, Plain.class)))))
                    .containsExactly("tagged", "plain");
            assertThat(texts(store().read(Query.of(QueryItem.ofTypeNames("Closed"))))).containsExactly("closed");
        }

        @Test
        void aTagsOnlyItemMatchesEventsOfAnyTypeCarryingAllItsTags() {
            String a = unique("a");
            String b = unique("b");
            append(new Opened("a", tags(a)));
            append(new Noted("ab", tags(a, b)));
            append(new Closed("b", tags(b)));
            append(new Opened("abc", tags(a, b, "c:1")));

            assertThat(texts(store().read(Query.of(QueryItem.ofTags(tag(a)))))).containsExactly("a", "ab", "abc");
            assertThat(texts(store().read(Query.of(QueryItem.ofTags(tag(a), tag(b)))))).containsExactly("ab", "abc");
            assertThat(texts(store().read(Query.of(QueryItem.ofTags(tag(a), tag(b), tag(unique("c")))))))
                    .isEmpty();
        }

        @Test
        void anItemWithTypesAndTagsNeedsOneOfTheTypesAndAllTheTags() {
            String a = unique("a");
            String b = unique("b");
            append(new Opened("opened a", tags(a)));
            append(new Noted("noted a", tags(a)));
            append(new Closed("closed a", tags(a)));
            append(new Opened("opened b", tags(b)));
            append(new Noted("noted ab", tags(a, b)));

            assertThat(texts(store().read(Query.of(QueryItem.ofTypes(Opened.class, Noted.class).withTags(tag(a))))))
                    .containsExactly("opened a", "noted a", "noted ab");
            assertThat(texts(store().read(Query.of(QueryItem.ofTypes(Noted.class).withTags(tag(a), tag(b))))))
                    .containsExactly("noted ab");
        }

        @Test
        void severalItemsMatchWhatAnyOfThemMatchesOnceEachInLogOrder() {
            String a = unique("a");
            String b = unique("b");
            append(new Opened("a", tags(a)));
            append(new Noted("b", tags(b)));
            append(new Closed("ab", tags(a, b)));
            append(new Plain("plain"));
            append(new Closed("other", tags(unique("a"))));

            Query query = Query.of(QueryItem.ofTags(tag(a)), QueryItem.ofTypes(Noted.class).withTags(tag(b)),
                    QueryItem.ofTags(tag(b)), QueryItem.ofTypes(Plain.class));
            assertThat(texts(store().read(query))).containsExactly("a", "b", "ab", "plain");
        }

        @Test
        void aReadReturnsEachEventsStreamSequenceTagsAndMetadata() {
            String a = unique("m"); // sorts between b:first and z:last
            CommandMetadata metadata = CommandMetadata.create().withInitiatedBy("alice");
            AppendResult written = store().append("stream-1", List.of(new Opened("x", tags(a, "z:last", "b:first")),
                    new Noted("y", tags(a))), Optional.empty(), Optional.empty(), metadata);

            List<SequencedEvent<TaggedContractEvent>> read = store().read(Query.of(QueryItem.ofTags(tag(a)))).events();
            assertThat(read).hasSize(2);
            SequencedEvent<TaggedContractEvent> first = read.getFirst();
            assertThat(first.stream()).isEqualTo(StreamId.of(type, "stream-1"));
            assertThat(first.sequence()).isEqualTo(EventNumber.FIRST);
            assertThat(first.position()).isEqualTo(written.firstPosition());
            assertThat(first.event()).isEqualTo(new Opened("x", tags(a, "z:last", "b:first")));
            assertThat(first.tags()).containsExactly(tag("b:first"), tag(a), tag("z:last"));
            assertThat(first.metadata().correlationId()).isEqualTo(metadata.correlationId());
            assertThat(first.metadata().initiatedBy()).contains("alice");
            assertThat(read.get(1).sequence()).isEqualTo(EventNumber.of(2));
            assertThat(read.get(1).position()).isEqualTo(written.lastPosition());
        }

        @Test
        void aReadAfterAPositionReturnsOnlyLaterEventsAndAShortReadCoversUpToItsLastEvent() {
            String a = unique("a");
            long first = append(new Opened("1", tags(a)));
            append(new Opened("2", tags(a)));
            long third = append(new Opened("3", tags(a)));
            Query query = Query.of(QueryItem.ofTags(tag(a)));

            assertThat(texts(store().read(query, first, 100))).containsExactly("2", "3");
            MatchingEvents<TaggedContractEvent> page = store().read(query, 0, 2);
            assertThat(texts(page)).containsExactly("1", "2");
            assertThat(page.position()).as("a read cut short covers up to its last event, not beyond")
                    .isLessThan(third);
            assertThat(texts(store().read(query, page.position(), 100))).containsExactly("3");
            assertThatThrownBy(() -> store().read(query, -1, 10)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> store().read(query, 0, -1)).isInstanceOf(IllegalArgumentException.class);
        }

        @Test
        void anAggregatesTaggedEventsAreFoundByQueriesAndItsStreamReadsAsBefore() {
            String a = unique("course");
            String id = newId();
            streams().append(id, List.of(new Opened("defined", tags(a)), new Plain("plain")),
                    Optional.of(Precondition.isNew()), meta());
            streams().append(id, List.of(new Noted("renamed", tags(a))), Optional.of(Precondition.expectedVersion(2)), meta());

            assertThat(texts(store().read(Query.of(QueryItem.ofTags(tag(a)))))).containsExactly("defined", "renamed");
            assertThat(streams().readEvents(id, Since.beginning()).stream().map(e -> e.event().text()))
                    .containsExactly("defined", "plain", "renamed");
            assertThat(streams().currentVersion(id)).contains(Version.of(3));
        }
    }

    @Nested
    class Conditions {

        @Test
        void anAppendDecidedOnAReadSucceedsWhenNothingMatchingArrivedSince() {
            String a = unique("a");
            append(new Opened("before", tags(a)));
            MatchingEvents<TaggedContractEvent> read = store().read(Query.of(QueryItem.ofTags(tag(a))));

            AppendResult result = store().append("s", List.of(new Noted("decided", tags(a))), read.appendCondition(), meta());

            assertThat(result.lastPosition()).isGreaterThan(read.position());
            assertThat(texts(store().read(Query.of(QueryItem.ofTags(tag(a)))))).containsExactly("before", "decided");
        }

        @Test
        void aMatchingEventAppendedAfterTheReadFailsTheAppendNamingItAndNothingIsWritten() {
            String a = unique("a");
            append(new Opened("before", tags(a)));
            MatchingEvents<TaggedContractEvent> read = store().read(Query.of(QueryItem.ofTags(tag(a))));
            AppendResult intruder = store().append("intruder", List.of(new Closed("in between", tags(a, "x:1"))),
                    Optional.empty(), Optional.empty(), meta());

            AppendConditionFailed failure = assertConditionFails("late", List.of(new Noted("decided", tags(a))),
                    read.appendCondition());

            assertThat(failure.found().position()).isEqualTo(intruder.lastPosition());
            assertThat(failure.found().stream()).isEqualTo(StreamId.of(type, "intruder"));
            assertThat(failure.found().sequence()).isEqualTo(EventNumber.FIRST);
            assertThat(failure.found().eventType()).isEqualTo("Closed");
            assertThat(failure.found().tags()).containsExactly(tag(a), tag("x:1"));
            assertThat(failure.message()).contains("Closed", Long.toString(intruder.lastPosition()), a,
                    Long.toString(read.position()));
            assertThat(texts(store().read(Query.of(QueryItem.ofTags(tag(a)))))).containsExactly("before", "in between");
        }

        @Test
        void theFirstMatchingEventAfterThePositionIsTheOneReported() {
            String a = unique("a");
            MatchingEvents<TaggedContractEvent> read = store().read(Query.of(QueryItem.ofTags(tag(a))));
            long first = append(new Opened("first", tags(a)));
            append(new Opened("second", tags(a)));

            assertThat(assertConditionFails(newId(), List.of(new Opened("late", tags(a))), read.appendCondition())
                    .found().position()).isEqualTo(first);
        }

        @Test
        void eventsThatDoNotMatchTheQueryDoNotFailIt() {
            String a = unique("a");
            String b = unique("b");
            Query query = Query.of(QueryItem.ofTypes(Opened.class).withTags(tag(a), tag(b)));
            MatchingEvents<TaggedContractEvent> read = store().read(query);
            append(new Noted("other type, same tags", tags(a, b)));
            append(new Opened("one tag of two", tags(a)));
            append(new Opened("other tags", tags(unique("a"), b)));
            append(new Plain("untagged"));

            store().append(newId(), List.of(new Opened("decided", tags(a, b))), read.appendCondition(), meta());
            assertThat(texts(store().read(query))).containsExactly("decided");
        }

        @Test
        void withoutAPositionAnyMatchingEventFailsItAsAUniquenessGuard() {
            String alice = unique("username");
            AppendCondition unclaimed = AppendCondition.failIfEventsMatch(
                    Query.of(QueryItem.ofTypes(Opened.class).withTags(tag(alice))));
            store().append(newId(), List.of(new Opened("alice claims it", tags(alice))), unclaimed, meta());

            AppendConditionFailed failure = assertConditionFails(newId(), List.of(new Opened("bob too", tags(alice))),
                    unclaimed);
            assertThat(failure.found().eventType()).isEqualTo("Opened");
            assertThat(texts(store().read(Query.of(QueryItem.ofTags(tag(alice)))))).containsExactly("alice claims it");
        }

        @Test
        void aConditionAfterTheHeadPassesWhateverMatchedBefore() {
            String a = unique("a");
            long last = append(new Opened("old", tags(a)));
            AppendCondition afterTheHead = AppendCondition.failIfEventsMatch(Query.of(QueryItem.ofTags(tag(a))))
                    .after(Math.max(last, store().read(Query.all()).position()));

            store().append(newId(), List.of(new Opened("new", tags(a))), afterTheHead, meta());
            assertThat(texts(store().read(Query.of(QueryItem.ofTags(tag(a)))))).containsExactly("old", "new");
        }

        @Test
        void queryAllFailsOnAnyNewEventOfTheAggregateTypeButNotOnOtherTypes() {
            MatchingEvents<TaggedContractEvent> read = store().read(Query.all());
            dcbStore(type + "-other").append(newId(), List.of(new Plain("elsewhere")), Optional.empty(), Optional.empty(), meta());
            store().append(newId(), List.of(new Plain("first")), read.appendCondition(), meta());

            assertThat(assertConditionFails(newId(), List.of(new Plain("second")), read.appendCondition())
                    .found().eventType()).isEqualTo("Plain");
        }

        @Test
        void aTypesOnlyConditionSeesUntaggedAggregateAppends() {
            MatchingEvents<TaggedContractEvent> read = store().read(Query.of(QueryItem.ofTypes(Plain.class)));
            streams().append(newId(), List.of(new Plain("by an aggregate")), Optional.empty(), meta());

            AppendConditionFailed failure = assertConditionFails(newId(), List.of(new Plain("decided")),
                    read.appendCondition());
            assertThat(failure.found().tags()).isEmpty();
        }

        @Test
        void aTagsOnlyConditionSeesTaggedAggregateAppends() {
            String a = unique("a");
            MatchingEvents<TaggedContractEvent> read = store().read(Query.of(QueryItem.ofTags(tag(a))));
            streams().append(newId(), List.of(new Closed("by an aggregate", tags(a))), Optional.empty(), meta());

            assertThat(assertConditionFails(newId(), List.of(new Opened("decided", tags(a))), read.appendCondition())
                    .found().eventType()).isEqualTo("Closed");
        }

        @Test
        void anyOfSeveralItemsMatchingFailsIt() {
            String a = unique("a");
            String b = unique("b");
            Query query = Query.of(QueryItem.ofTypes(Opened.class).withTags(tag(a)), QueryItem.ofTags(tag(b)));
            MatchingEvents<TaggedContractEvent> read = store().read(query);
            append(new Noted("matches the second item", tags(b)));

            assertThat(assertConditionFails(newId(), List.of(new Opened("decided", tags(a))), read.appendCondition())
                    .found().tags()).containsExactly(tag(b));
        }

        @Test
        void theConditionAndAStreamPreconditionAreBothChecked() {
            String a = unique("a");
            String id = newId();
            Optional<AppendCondition> holds = Optional.of(store().read(Query.of(QueryItem.ofTags(tag(a)))).appendCondition());
            store().append(id, List.of(new Opened("first", tags(a))), Optional.of(Precondition.isNew()), holds, meta());

            Optional<AppendCondition> stillHolds = Optional.of(store().read(Query.of(QueryItem.ofTags(tag(a)))).appendCondition());
            assertThatThrownBy(() -> store().append(id, List.of(new Opened("again", tags(a))),
                    Optional.of(Precondition.isNew()), stillHolds, meta()))
                    .isInstanceOf(PreconditionFailedException.class);
            store().append(id, List.of(new Opened("second", tags(a))), Optional.of(Precondition.expectedVersion(1)),
                    stillHolds, meta());
            assertThatThrownBy(() -> store().append(id, List.of(new Opened("third", tags(a))),
                    Optional.of(Precondition.expectedVersion(2)), stillHolds, meta()))
                    .isInstanceOf(AppendConditionFailedException.class);
            assertThat(streams().currentVersion(id)).contains(Version.of(2));
        }

        @Test
        void anIdempotencyKeyReplaysTheFirstAppendEvenWhenTheConditionNoLongerHolds() {
            String a = unique("a");
            MatchingEvents<TaggedContractEvent> read = store().read(Query.of(QueryItem.ofTags(tag(a))));
            CommandMetadata keyed = CommandMetadata.create().withIdempotencyKey("key-" + UUID.randomUUID());
            AppendResult first = store().append("keyed", List.of(new Opened("once", tags(a))), read.appendCondition(), keyed);

            AppendResult again = store().append("keyed", List.of(new Opened("once", tags(a))), read.appendCondition(), keyed);

            assertThat(again.replayed()).isTrue();
            assertThat(again.lastPosition()).isEqualTo(first.lastPosition());
            assertThat(store().findAppend(keyed.idempotencyKey().orElseThrow())).isPresent();
            assertThat(texts(store().read(Query.of(QueryItem.ofTags(tag(a)))))).containsExactly("once");
        }

        @Test
        void badAppendsAreRefusedAndWriteNothing() {
            String a = unique("a");
            AppendCondition condition = AppendCondition.failIfEventsMatch(Query.of(QueryItem.ofTags(tag(a))));
            assertThatThrownBy(() -> store().append("s", List.of(), condition, meta()))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> store().append(" ", List.of(new Opened("x", tags(a))), condition, meta()))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> new Opened("x", tags("with,comma"))).isInstanceOf(IllegalArgumentException.class);
            assertThat(store().read(Query.of(QueryItem.ofTags(tag(a)))).events()).isEmpty();
        }
    }

    @Nested
    class Races {

        @Test
        void concurrentConditionalAppendsOnDisjointQueriesNeverConflict() throws Exception {
            int threads = raceThreads();
            int rounds = raceRounds();
            String run = unique("run");
            List<Integer> written = race(threads, thread -> {
                Query mine = Query.of(QueryItem.ofTags(tag(run + "-" + thread)));
                int appended = 0;
                for (int r = 0; r < rounds; r++) {
                    MatchingEvents<TaggedContractEvent> read = store().read(mine);
                    // every thread appends to its own stream and tag, under its own condition
                    store().append("disjoint-" + thread, List.of(new Opened("r" + r, tags(run + "-" + thread))),
                            read.appendCondition(), meta());
                    appended++;
                }
                return appended;
            });
            assertThat(written).as("no append conflicted").allMatch(n -> n == rounds);
            for (int thread = 0; thread < threads; thread++) {
                assertThat(store().read(Query.of(QueryItem.ofTags(tag(run + "-" + thread)))).events()).hasSize(rounds);
            }
        }

        @Test
        void ofConcurrentAppendsDecidedOnTheSameReadExactlyOneSucceeds() throws Exception {
            int threads = raceThreads();
            String shared = unique("shared");
            Query query = Query.of(QueryItem.ofTags(tag(shared)));
            for (int round = 0; round < raceRounds(); round++) {
                MatchingEvents<TaggedContractEvent> read = store().read(query);
                int r = round;
                Map<Integer, AppendConditionFailed> conflicts = new ConcurrentHashMap<>();
                List<Integer> outcomes = race(threads, thread -> {
                    try {
                        // each thread writes to a stream of its own: only the condition can stop it
                        store().append("round" + r + "-" + thread, List.of(new Opened("t" + thread, tags(shared))),
                                read.appendCondition(), meta());
                        return 1;
                    } catch (AppendConditionFailedException e) {
                        conflicts.put(thread, e.failure());
                        return 0;
                    }
                });
                assertThat(outcomes.stream().mapToInt(Integer::intValue).sum()).as("winners of round " + round).isEqualTo(1);
                MatchingEvents<TaggedContractEvent> after = store().read(query, read.position(), 100);
                assertThat(after.events()).as("what round " + round + " wrote").hasSize(1);
                long winner = after.events().getFirst().position();
                assertThat(conflicts.values()).hasSize(threads - 1)
                        .allSatisfy(f -> assertThat(f.found().position()).isEqualTo(winner));
            }
        }

        @Test
        void decisionsOverTwoBoundariesNeverExceedEitherLimit() throws Exception {
            int threads = raceThreads();
            String pool = unique("pool").replace(':', '-');
            int poolLimit = 5;
            int clientLimit = 2;
            Decisions<SeatDecider.Counts, SeatDecider.Take, TaggedContractEvent> seats =
                    Decisions.of(new SeatDecider(poolLimit, clientLimit), store()).retryOnConflict(100);
            String otherPool = pool + "-other";
            Map<String, AtomicInteger> outcomes = new ConcurrentHashMap<>();
            List<Integer> accepted = race(threads, thread -> {
                int mine = 0;
                for (String target : List.of(pool, otherPool, pool, otherPool)) {
                    DecisionResult<SeatDecider.Counts, TaggedContractEvent> result = seats.execute(
                            new SeatDecider.Take(target, "client-" + pool + "-" + thread), meta());
                    String outcome = switch (result) {
                        case DecisionResult.Accepted<SeatDecider.Counts, TaggedContractEvent> a -> "accepted";
                        case DecisionResult.Rejected<SeatDecider.Counts, TaggedContractEvent> r -> r.rejection().code();
                        case DecisionResult.Conflict<SeatDecider.Counts, TaggedContractEvent> c -> "conflict";
                    };
                    outcomes.computeIfAbsent(outcome, o -> new AtomicInteger()).incrementAndGet();
                    mine += outcome.equals("accepted") ? 1 : 0;
                }
                return mine;
            });
            int inPool = store().read(Query.of(QueryItem.ofTags(SeatDecider.pool(pool)))).events().size();
            int inOther = store().read(Query.of(QueryItem.ofTags(SeatDecider.pool(otherPool)))).events().size();
            assertThat(inPool).as("seats of " + pool + " (outcomes " + outcomes + ")").isEqualTo(poolLimit);
            assertThat(inOther).as("seats of " + otherPool).isEqualTo(poolLimit);
            assertThat(accepted.stream().mapToInt(Integer::intValue).sum()).as("no accepted decision lost")
                    .isEqualTo(inPool + inOther);
            for (int thread = 0; thread < threads; thread++) {
                assertThat(store().read(Query.of(QueryItem.ofTags(SeatDecider.client("client-" + pool + "-" + thread))))
                        .events().size()).isEqualTo(accepted.get(thread)).isLessThanOrEqualTo(clientLimit);
            }
            assertThat(outcomes.keySet()).as("every refusal is a rule of the decision").isSubsetOf(
                    List.of("accepted", "POOL_FULL", "CLIENT_LIMIT"));
        }
    }

    /** Runs {@code work} on {@code threads} threads released at once; their results, by thread. */
    private static <T> List<T> race(int threads, RaceWork<T> work) throws Exception {
        ExecutorService executor = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<T>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                futures.add(executor.submit(() -> {
                    if (!start.await(30, TimeUnit.SECONDS)) {
                        throw new IllegalStateException("the race did not start");
                    }
                    return work.run(thread);
                }));
            }
            start.countDown();
            List<T> results = new ArrayList<>();
            for (Future<T> future : futures) {
                results.add(future.get(120, TimeUnit.SECONDS));
            }
            return results;
        } finally {
            executor.shutdownNow();
        }
    }

    @FunctionalInterface
    private interface RaceWork<T> {
        T run(int thread) throws Exception;
    }
}
