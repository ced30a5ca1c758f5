package dev.cqrs.core.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cqrs.core.AppendResult;
import dev.cqrs.core.Before;
import dev.cqrs.core.CommandMetadata;
import dev.cqrs.core.CommandResult;
import dev.cqrs.core.EventNumber;
import dev.cqrs.core.EventStore;
import dev.cqrs.core.HydratedAggregate;
import dev.cqrs.core.Precondition;
import dev.cqrs.core.PreconditionFailedException;
import dev.cqrs.core.Since;
import dev.cqrs.core.SnapshotStore;
import dev.cqrs.core.SnapshotStrategy;
import dev.cqrs.core.StreamId;
import dev.cqrs.core.Version;
import dev.cqrs.core.VersionedAggregate;
import dev.cqrs.core.VersionedEvent;
import dev.cqrs.core.VersionedEventWithMetadata;
import dev.cqrs.core.contract.ContractCommand.Increment;
import dev.cqrs.core.contract.ContractEvent.Incremented;
import dev.cqrs.core.contract.ContractEvent.Renamed;
import dev.cqrs.core.entity.CompositeEntityStore;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What every event and snapshot store must do. A store module extends this class and says how to
 * make its stores; every test uses fresh aggregate types and ids, so stores may share one database.
 *
 * <p>The precondition table's "stream at Initial" column cannot be reached through a store (a stream
 * exists once it has an event), so {@code PreconditionTest} covers it on the type itself; every cell
 * of the "absent" and "at n" columns is checked here, against the store, atomically with the append.
 */
public abstract class EventStoreContract {

    /** A store of {@code aggregateType} streams; stores made in one test share their storage. */
    protected abstract EventStore<ContractEvent> eventStore(String aggregateType);

    /** A snapshot store of {@code aggregateType} for states of {@code stateSchemaVersion}, sharing storage. */
    protected abstract SnapshotStore<ContractState> snapshotStore(String aggregateType, int stateSchemaVersion);

    /** Threads in the race test. */
    protected int raceThreads() {
        return 8;
    }

    /** Commands per thread in the race test. */
    protected int raceCommandsPerThread() {
        return 500;
    }

    private final String type = "counter-" + UUID.randomUUID().toString().substring(0, 8);

    private static String newId() {
        return "c-" + UUID.randomUUID();
    }

    private static CommandMetadata meta() {
        return CommandMetadata.create();
    }

    private static List<ContractEvent> events(int n) {
        return IntStream.rangeClosed(1, n).<ContractEvent>mapToObj(Incremented::new).toList();
    }

    private static Optional<Precondition> pre(Precondition p) {
        return Optional.of(p);
    }

    private static List<Long> sequences(List<? extends VersionedEventWithMetadata<?>> events) {
        return events.stream().map(e -> e.sequence().value()).toList();
    }

    /** A stream with {@code n} events, appended one at a time. */
    private String streamWith(EventStore<ContractEvent> store, int n) {
        String id = newId();
        for (int i = 1; i <= n; i++) {
            store.append(id, List.of(new Incremented(i)), Optional.empty(), meta());
        }
        return id;
    }

    @Nested
    class Preconditions {

        @Test
        void newOnAnAbsentStreamPasses() {
            EventStore<ContractEvent> store = eventStore(type);
            AppendResult result = store.append(newId(), events(2), pre(Precondition.isNew()), meta());
            assertThat(result.firstSequence()).isEqualTo(EventNumber.FIRST);
            assertThat(result.version()).isEqualTo(Version.of(2));
        }

        @Test
        void newOnAStreamWithEventsFailsAndWritesNothing() {
            EventStore<ContractEvent> store = eventStore(type);
            String id = streamWith(store, 1);
            assertConflict(store, id, Precondition.isNew(), Optional.of(Version.of(1)));
            assertThat(store.currentVersion(id)).contains(Version.of(1));
        }

        @Test
        void existsOnAnAbsentStreamFailsAndWritesNothing_theSeedsPostgresBug() {
            EventStore<ContractEvent> store = eventStore(type);
            String id = newId();
            assertConflict(store, id, Precondition.exists(), Optional.empty());
            assertThat(store.currentVersion(id)).isEmpty();
            assertThat(store.readEvents(id, Since.beginning())).isEmpty();
        }

        @Test
        void existsOnAStreamWithEventsPasses() {
            EventStore<ContractEvent> store = eventStore(type);
            String id = streamWith(store, 3);
            AppendResult result = store.append(id, events(1), pre(Precondition.exists()), meta());
            assertThat(result.firstSequence()).isEqualTo(EventNumber.of(4));
        }

        @Test
        void expectedInitialOnAnAbsentStreamPasses() {
            EventStore<ContractEvent> store = eventStore(type);
            AppendResult result = store.append(newId(), events(1), pre(Precondition.expectedVersion(Version.INITIAL)), meta());
            assertThat(result.version()).isEqualTo(Version.of(1));
        }

        @Test
        void expectedInitialOnAStreamWithEventsFails() {
            EventStore<ContractEvent> store = eventStore(type);
            String id = streamWith(store, 2);
            assertConflict(store, id, Precondition.expectedVersion(Version.INITIAL), Optional.of(Version.of(2)));
        }

        @Test
        void expectedVersionOnAnAbsentStreamFails() {
            EventStore<ContractEvent> store = eventStore(type);
            String id = newId();
            assertConflict(store, id, Precondition.expectedVersion(1), Optional.empty());
            assertThat(store.currentVersion(id)).isEmpty();
        }

        @Test
        void expectedVersionEqualToTheCurrentVersionPasses_theSeedsMemoryBug() {
            EventStore<ContractEvent> store = eventStore(type);
            String id = streamWith(store, 2);
            AppendResult result = store.append(id, events(1), pre(Precondition.expectedVersion(2)), meta());
            assertThat(result.firstSequence()).isEqualTo(EventNumber.of(3));
        }

        @Test
        void expectedVersionEqualToTheNextVersionFails_theSeedsMemoryBug() {
            EventStore<ContractEvent> store = eventStore(type);
            String id = streamWith(store, 2);
            assertConflict(store, id, Precondition.expectedVersion(3), Optional.of(Version.of(2)));
        }

        @ParameterizedTest
        @ValueSource(longs = {1, 2, 4, 100})
        void expectedVersionOtherThanTheCurrentOneFails(long expected) {
            EventStore<ContractEvent> store = eventStore(type);
            String id = streamWith(store, 3);
            assertConflict(store, id, Precondition.expectedVersion(expected), Optional.of(Version.of(3)));
        }

        @Test
        void noPreconditionAppendsAtWhateverVersion() {
            EventStore<ContractEvent> store = eventStore(type);
            String id = streamWith(store, 2);
            AppendResult result = store.append(id, events(2), Optional.empty(), meta());
            assertThat(result.firstSequence()).isEqualTo(EventNumber.of(3));
            assertThat(result.lastSequence()).isEqualTo(EventNumber.of(4));
        }

        /**
         * The append fails the same way whatever its shape: one event or several, with an idempotency key or
         * without (a store may run each through another statement; the commonest, one event without a key,
         * is what every to-do command uses). It writes nothing and does not use up its key.
         */
        private void assertConflict(EventStore<ContractEvent> store, String id, Precondition precondition,
                                    Optional<Version> actual) {
            List<VersionedEventWithMetadata<ContractEvent>> before = store.readEvents(id, Since.beginning());
            for (int count : new int[] {1, 2}) {
                for (boolean withKey : new boolean[] {false, true}) {
                    String key = "k-" + UUID.randomUUID();
                    CommandMetadata metadata = withKey ? meta().withIdempotencyKey(key) : meta();
                    assertThatThrownBy(() -> store.append(id, events(count), pre(precondition), metadata))
                            .as("%s, %d event(s), %s", precondition, count, withKey ? "with a key" : "without a key")
                            .isInstanceOfSatisfying(PreconditionFailedException.class, e -> {
                                assertThat(e.failure().stream()).isEqualTo(StreamId.of(type, id));
                                assertThat(e.failure().precondition()).isEqualTo(precondition);
                                assertThat(e.failure().actual()).isEqualTo(actual);
                                assertThat(precondition.isSatisfiedBy(e.failure().actual()))
                                        .as("the reported version fails the precondition").isFalse();
                                assertThat(e.getMessage()).contains(id).contains(precondition.toString());
                            });
                    assertThat(store.readEvents(id, Since.beginning())).isEqualTo(before);
                    if (withKey) {
                        assertThat(store.findAppend(key)).as("the failed append's key is not used up").isEmpty();
                    }
                }
            }
        }
    }

    @Nested
    class Reading {

        @Test
        void anUnknownStreamHasNoEventsAndNoVersion() {
            EventStore<ContractEvent> store = eventStore(type);
            String id = newId();
            assertThat(store.readEvents(id, Since.beginning())).isEmpty();
            assertThat(store.readEvents(id, Since.event(3), 10)).isEmpty();
            assertThat(store.readEventsBackward(id, Before.endOfStream(), 10)).isEmpty();
            assertThat(store.currentVersion(id)).isEmpty();
        }

        @Test
        void eventsComeBackInOrderWithContiguousNumbersFromOne() {
            EventStore<ContractEvent> store = eventStore(type);
            String id = newId();
            store.append(id, List.of(new Incremented(5), new Renamed("a")), pre(Precondition.isNew()), meta());
            store.append(id, List.of(new Incremented(7)), pre(Precondition.expectedVersion(2)), meta());
            var read = store.readEvents(id, Since.beginning());
            assertThat(sequences(read)).containsExactly(1L, 2L, 3L);
            assertThat(read).extracting(VersionedEventWithMetadata::event)
                    .containsExactly(new Incremented(5), new Renamed("a"), new Incremented(7));
            assertThat(store.currentVersion(id)).contains(Version.of(3));
        }

        @Test
        void sinceIsExclusive() {
            EventStore<ContractEvent> store = eventStore(type);
            String id = streamWith(store, 5);
            assertThat(sequences(store.readEvents(id, Since.beginning()))).containsExactly(1L, 2L, 3L, 4L, 5L);
            assertThat(sequences(store.readEvents(id, Since.event(1)))).containsExactly(2L, 3L, 4L, 5L);
            assertThat(sequences(store.readEvents(id, Since.event(4)))).containsExactly(5L);
            assertThat(store.readEvents(id, Since.event(5))).isEmpty();
            assertThat(store.readEvents(id, Since.event(6))).isEmpty();
            assertThat(store.readEvents(id, Since.event(Long.MAX_VALUE - 1))).isEmpty();
        }

        @Test
        void maxCountLimitsForwardReads() {
            EventStore<ContractEvent> store = eventStore(type);
            String id = streamWith(store, 5);
            assertThat(store.readEvents(id, Since.beginning(), 0)).isEmpty();
            assertThat(sequences(store.readEvents(id, Since.beginning(), 1))).containsExactly(1L);
            assertThat(sequences(store.readEvents(id, Since.event(2), 2))).containsExactly(3L, 4L);
            assertThat(sequences(store.readEvents(id, Since.event(3), 100))).containsExactly(4L, 5L);
            assertThatThrownBy(() -> store.readEvents(id, Since.beginning(), -1))
                    .isInstanceOf(IllegalArgumentException.class);
        }

        @Test
        void aReadWithoutMetadataHasTheSameEventsAndBoundsAsAFullRead() {
            EventStore<ContractEvent> store = eventStore(type);
            String id = newId();
            store.append(id, List.of(new Incremented(5), new Renamed("a")), pre(Precondition.isNew()), meta());
            store.append(id, List.of(new Incremented(7), new Renamed("b")), pre(Precondition.expectedVersion(2)), meta());
            for (Since since : List.of(Since.beginning(), Since.event(1), Since.event(3), Since.event(4))) {
                for (int maxCount : new int[] {0, 1, 2, 100}) {
                    assertThat(store.readEventsWithoutMetadata(id, since, maxCount))
                            .as("since %s, at most %d", since, maxCount)
                            .isEqualTo(store.readEvents(id, since, maxCount).stream()
                                    .map(e -> new VersionedEvent<>(e.sequence(), e.event())).toList());
                }
            }
            assertThat(store.readEventsWithoutMetadata(newId(), Since.beginning(), 10)).isEmpty();
            assertThatThrownBy(() -> store.readEventsWithoutMetadata(id, Since.beginning(), -1))
                    .isInstanceOf(IllegalArgumentException.class);
        }

        @Test
        void beforeIsExclusiveAndReadsNewestFirst() {
            EventStore<ContractEvent> store = eventStore(type);
            String id = streamWith(store, 5);
            assertThat(sequences(store.readEventsBackward(id, Before.endOfStream(), 100))).containsExactly(5L, 4L, 3L, 2L, 1L);
            assertThat(sequences(store.readEventsBackward(id, Before.event(5), 100))).containsExactly(4L, 3L, 2L, 1L);
            assertThat(sequences(store.readEventsBackward(id, Before.event(2), 100))).containsExactly(1L);
            assertThat(store.readEventsBackward(id, Before.event(1), 100)).isEmpty();
            assertThat(sequences(store.readEventsBackward(id, Before.event(99), 100))).containsExactly(5L, 4L, 3L, 2L, 1L);
        }

        @Test
        void maxCountLimitsBackwardReads() {
            EventStore<ContractEvent> store = eventStore(type);
            String id = streamWith(store, 5);
            assertThat(store.readEventsBackward(id, Before.endOfStream(), 0)).isEmpty();
            assertThat(sequences(store.readEventsBackward(id, Before.endOfStream(), 2))).containsExactly(5L, 4L);
            assertThat(sequences(store.readEventsBackward(id, Before.event(4), 2))).containsExactly(3L, 2L);
        }

        @Test
        void metadataIsKeptWithEveryEvent() {
            EventStore<ContractEvent> store = eventStore(type);
            String id = newId();
            UUID correlation = UUID.randomUUID();
            UUID causation = UUID.randomUUID();
            CommandMetadata metadata = CommandMetadata.create().withCorrelationId(correlation).withCausationId(causation)
                    .withInitiatedBy("alice@example.com").withHeader("tenant", "t-1").withHeader("quote", "it's \"x\"");
            store.append(id, events(2), Optional.empty(), metadata);
            var read = store.readEvents(id, Since.beginning());
            assertThat(read).hasSize(2).allSatisfy(e -> {
                assertThat(e.metadata().correlationId()).isEqualTo(correlation);
                assertThat(e.metadata().causationId()).contains(causation);
                assertThat(e.metadata().initiatedBy()).contains("alice@example.com");
                assertThat(e.metadata().headers()).isEqualTo(Map.of("tenant", "t-1", "quote", "it's \"x\""));
                assertThat(e.metadata().recordedAt()).isNotNull();
            });
            assertThat(read.get(0).metadata().eventId()).isNotEqualTo(read.get(1).metadata().eventId());
        }

        @Test
        void absentMetadataStaysAbsent() {
            EventStore<ContractEvent> store = eventStore(type);
            String id = newId();
            store.append(id, events(1), Optional.empty(), CommandMetadata.create());
            var event = store.readEvents(id, Since.beginning()).get(0);
            assertThat(event.metadata().causationId()).isEmpty();
            assertThat(event.metadata().initiatedBy()).isEmpty();
            assertThat(event.metadata().headers()).isEmpty();
        }

        @Test
        void streamsOfOneTypeAreIndependent() {
            EventStore<ContractEvent> store = eventStore(type);
            String a = streamWith(store, 2);
            String b = streamWith(store, 3);
            assertThat(store.currentVersion(a)).contains(Version.of(2));
            assertThat(store.currentVersion(b)).contains(Version.of(3));
        }

        @Test
        void theSameIdUnderAnotherAggregateTypeIsAnotherStream() {
            EventStore<ContractEvent> counters = eventStore(type);
            EventStore<ContractEvent> others = eventStore(type + "-other");
            String id = streamWith(counters, 2);
            assertThat(others.currentVersion(id)).isEmpty();
            others.append(id, events(1), pre(Precondition.isNew()), meta());
            assertThat(counters.currentVersion(id)).contains(Version.of(2));
        }

        @Test
        void globalPositionsIncreaseAcrossAppends() {
            EventStore<ContractEvent> store = eventStore(type);
            AppendResult first = store.append(newId(), events(3), Optional.empty(), meta());
            AppendResult second = store.append(newId(), events(2), Optional.empty(), meta());
            assertThat(first.lastPosition()).isGreaterThanOrEqualTo(first.firstPosition());
            assertThat(second.firstPosition()).isGreaterThan(first.lastPosition());
        }
    }

    @Nested
    class Input {

        @ParameterizedTest
        @ValueSource(strings = {"", " ", "\t", "line\nbreak", "nul\u0000char", "bell\u0007"})
        void anInvalidAggregateIdIsRejectedClearlyAndNothingIsWritten(String badId) {
            EventStore<ContractEvent> store = eventStore(type);
            assertThatThrownBy(() -> store.append(badId, events(1), Optional.empty(), meta()))
                    .isInstanceOf(StreamId.InvalidNameException.class)
                    .hasMessageContaining("aggregate id");
        }

        @Test
        void aTooLongAggregateIdIsRejected() {
            EventStore<ContractEvent> store = eventStore(type);
            String id = "x".repeat(StreamId.MAX_ID_LENGTH + 1);
            assertThatThrownBy(() -> store.append(id, events(1), Optional.empty(), meta()))
                    .isInstanceOf(StreamId.InvalidNameException.class)
                    .hasMessageContaining("limit is " + StreamId.MAX_ID_LENGTH);
        }

        @Test
        void anIdOfTheMaximumLengthIsAccepted() {
            EventStore<ContractEvent> store = eventStore(type);
            String id = "é".repeat(StreamId.MAX_ID_LENGTH);
            store.append(id, events(1), Optional.empty(), meta());
            assertThat(store.currentVersion(id)).contains(Version.of(1));
        }

        @ParameterizedTest
        @ValueSource(strings = {"o'brien", "a\"b", "x; DROP TABLE events; --", "100%_like", "back\\slash",
                "emoji-\uD83D\uDE00", "ümlaut-ß", "$1 ?"})
        void sqlMetacharactersAndUnicodeInIdsAndPayloadsAreStoredVerbatim(String odd) {
            EventStore<ContractEvent> store = eventStore(type);
            String id = odd + "-" + UUID.randomUUID();
            store.append(id, List.of(new Renamed(odd)), pre(Precondition.isNew()), meta().withInitiatedBy(odd));
            var read = store.readEvents(id, Since.beginning());
            assertThat(read).hasSize(1);
            assertThat(read.get(0).event()).isEqualTo(new Renamed(odd));
            assertThat(read.get(0).metadata().initiatedBy()).contains(odd);
            assertThat(store.currentVersion(odd)).isEmpty();
        }

        @Test
        void oddCharactersInAggregateTypesAreStoredVerbatim() {
            String oddType = "we'ird;\"type\" " + UUID.randomUUID().toString().substring(0, 6);
            EventStore<ContractEvent> store = eventStore(oddType);
            String id = streamWith(store, 2);
            assertThat(store.currentVersion(id)).contains(Version.of(2));
            assertThat(eventStore(type).currentVersion(id)).isEmpty();
        }

        @Test
        void anEmptyAppendIsRejected() {
            EventStore<ContractEvent> store = eventStore(type);
            String id = newId();
            assertThatThrownBy(() -> store.append(id, List.of(), Optional.empty(), meta()))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("empty");
            assertThat(store.currentVersion(id)).isEmpty();
        }
    }

    @Nested
    class Idempotency {

        @Test
        void theSameKeyTwiceWritesOnceAndReturnsTheFirstResult() {
            EventStore<ContractEvent> store = eventStore(type);
            String id = newId();
            String key = "key-" + UUID.randomUUID();
            AppendResult first = store.append(id, events(2), pre(Precondition.isNew()), meta().withIdempotencyKey(key));
            AppendResult second = store.append(id, events(2), pre(Precondition.isNew()), meta().withIdempotencyKey(key));
            assertThat(first.replayed()).isFalse();
            assertThat(second.replayed()).isTrue();
            assertThat(second).isEqualTo(first.asReplay());
            assertThat(store.readEvents(id, Since.beginning())).hasSize(2);
            assertThat(store.findAppend(key)).contains(first.asReplay());
        }

        @Test
        void aKeyFirstUsedOnAnotherStreamReturnsThatResultAndWritesNothingHere() {
            EventStore<ContractEvent> store = eventStore(type);
            String key = "key-" + UUID.randomUUID();
            String first = newId();
            String second = newId();
            AppendResult original = store.append(first, events(1), Optional.empty(), meta().withIdempotencyKey(key));
            AppendResult again = store.append(second, events(3), Optional.empty(), meta().withIdempotencyKey(key));
            assertThat(again).isEqualTo(original.asReplay());
            assertThat(store.currentVersion(second)).isEmpty();
        }

        @Test
        void anUnknownKeyHasNoAppend() {
            assertThat(eventStore(type).findAppend("never-" + UUID.randomUUID())).isEmpty();
        }

        @Test
        void aFailedAppendDoesNotConsumeItsKey() {
            EventStore<ContractEvent> store = eventStore(type);
            String id = streamWith(store, 1);
            String key = "key-" + UUID.randomUUID();
            assertThatThrownBy(() -> store.append(id, events(1), pre(Precondition.isNew()), meta().withIdempotencyKey(key)))
                    .isInstanceOf(PreconditionFailedException.class);
            assertThat(store.findAppend(key)).isEmpty();
            AppendResult retried = store.append(id, events(1), pre(Precondition.exists()), meta().withIdempotencyKey(key));
            assertThat(retried.replayed()).isFalse();
        }

        @Test
        void aRepeatedCommandThroughTheEntityStoreReturnsTheFirstResult() {
            var entities = CompositeEntityStore.builder(new CounterAggregate(type), eventStore(type)).build();
            String id = newId();
            CommandMetadata metadata = meta().withIdempotencyKey("cmd-" + UUID.randomUUID());
            var first = (CommandResult.Accepted<ContractState, ContractEvent>) entities.execute(id, new Increment(4), metadata);
            entities.execute(id, new Increment(1), meta());
            var again = (CommandResult.Accepted<ContractState, ContractEvent>) entities.execute(id, new Increment(4), metadata);
            assertThat(again.replayed()).isTrue();
            assertThat(again.version()).isEqualTo(first.version());
            assertThat(again.lastPosition()).isEqualTo(first.lastPosition());
            assertThat(again.events()).isEqualTo(first.events());
            assertThat(entities.rehydrate(id).orElseThrow().state().count()).isEqualTo(5);
        }
    }

    @Nested
    class Snapshots {

        @Test
        void noSnapshotIsEmpty() {
            assertThat(snapshotStore(type, 1).getSnapshot(newId())).isEmpty();
        }

        @Test
        void theLatestSnapshotIsReturned() {
            SnapshotStore<ContractState> snapshots = snapshotStore(type, 1);
            String id = newId();
            snapshots.persistSnapshot(id, new VersionedAggregate<>(Version.of(3), new ContractState(3, "three")));
            snapshots.persistSnapshot(id, new VersionedAggregate<>(Version.of(7), new ContractState(7, "seven")));
            assertThat(snapshots.getSnapshot(id)).contains(new VersionedAggregate<>(Version.of(7), new ContractState(7, "seven")));
        }

        @Test
        void anOlderSnapshotDoesNotReplaceANewerOne() {
            SnapshotStore<ContractState> snapshots = snapshotStore(type, 1);
            String id = newId();
            snapshots.persistSnapshot(id, new VersionedAggregate<>(Version.of(7), new ContractState(7, "seven")));
            snapshots.persistSnapshot(id, new VersionedAggregate<>(Version.of(3), new ContractState(3, "three")));
            assertThat(snapshots.getSnapshot(id).orElseThrow().version()).isEqualTo(Version.of(7));
        }

        @Test
        void aSnapshotOfAnotherSchemaVersionIsIgnored() {
            String id = newId();
            snapshotStore(type, 1).persistSnapshot(id, new VersionedAggregate<>(Version.of(4), new ContractState(4, "v1")));
            assertThat(snapshotStore(type, 2).getSnapshot(id)).isEmpty();
            assertThat(snapshotStore(type, 1).getSnapshot(id)).isPresent();
        }

        @Test
        void theLatestSnapshotOfTheReadersSchemaVersionIsUsedWhenANewerOneHasAnotherShape() {
            String id = newId();
            snapshotStore(type, 1).persistSnapshot(id, new VersionedAggregate<>(Version.of(4), new ContractState(4, "v1")));
            snapshotStore(type, 2).persistSnapshot(id, new VersionedAggregate<>(Version.of(9), new ContractState(9, "v2")));
            assertThat(snapshotStore(type, 1).getSnapshot(id).orElseThrow().version()).isEqualTo(Version.of(4));
            assertThat(snapshotStore(type, 2).getSnapshot(id).orElseThrow().version()).isEqualTo(Version.of(9));
        }

        @Test
        void snapshotsOfTheSameIdUnderAnotherTypeAreSeparate() {
            String id = newId();
            snapshotStore(type, 1).persistSnapshot(id, new VersionedAggregate<>(Version.of(4), new ContractState(4, "x")));
            assertThat(snapshotStore(type + "-other", 1).getSnapshot(id)).isEmpty();
        }

        @Test
        void everyNSnapshotsEveryNEventsAndTheLoadIsTheSameAsAFullReplay() {
            EventStore<ContractEvent> events = eventStore(type);
            SnapshotStore<ContractState> snapshots = snapshotStore(type, 1);
            var withSnapshots = CompositeEntityStore.builder(new CounterAggregate(type), events)
                    .snapshots(snapshots, SnapshotStrategy.every(3)).build();
            var withoutSnapshots = CompositeEntityStore.builder(new CounterAggregate(type), events).build();
            String id = newId();
            List<Optional<Version>> snapshotVersions = new ArrayList<>();
            for (int i = 1; i <= 7; i++) {
                withSnapshots.execute(id, new Increment(i), meta());
                snapshotVersions.add(snapshots.getSnapshot(id).map(VersionedAggregate::version));
            }
            assertThat(snapshotVersions).containsExactly(Optional.empty(), Optional.empty(), Optional.of(Version.of(3)),
                    Optional.of(Version.of(3)), Optional.of(Version.of(3)), Optional.of(Version.of(6)), Optional.of(Version.of(6)));
            HydratedAggregate<ContractState> loaded = withSnapshots.rehydrate(id).orElseThrow();
            assertThat(loaded.snapshotVersion()).contains(Version.of(6));
            assertThat(loaded.version()).isEqualTo(Version.of(7));
            HydratedAggregate<ContractState> replayed = withoutSnapshots.rehydrate(id).orElseThrow();
            assertThat(replayed.snapshotVersion()).isEmpty();
            assertThat(loaded.state()).isEqualTo(replayed.state()).isEqualTo(new ContractState(28, ""));
        }

        @Test
        void neverTakesNoSnapshotAndAlwaysTakesOneEachTime() {
            EventStore<ContractEvent> events = eventStore(type);
            SnapshotStore<ContractState> snapshots = snapshotStore(type, 1);
            var never = CompositeEntityStore.builder(new CounterAggregate(type), events)
                    .snapshots(snapshots, SnapshotStrategy.never()).build();
            var always = CompositeEntityStore.builder(new CounterAggregate(type), events)
                    .snapshots(snapshots, SnapshotStrategy.always()).build();
            String quiet = newId();
            never.execute(quiet, new Increment(1), meta());
            never.execute(quiet, new Increment(1), meta());
            assertThat(snapshots.getSnapshot(quiet)).isEmpty();
            String eager = newId();
            always.execute(eager, new Increment(1), meta());
            assertThat(snapshots.getSnapshot(eager).orElseThrow().version()).isEqualTo(Version.of(1));
            always.execute(eager, new Increment(2), meta());
            assertThat(snapshots.getSnapshot(eager)).contains(new VersionedAggregate<>(Version.of(2), new ContractState(3, "")));
        }

        @Test
        void aSnapshotOfAnOldStateShapeIsIgnoredAndTheAggregateIsRebuiltFromEvents() {
            EventStore<ContractEvent> events = eventStore(type);
            String id = newId();
            var v1 = CompositeEntityStore.builder(new CounterAggregate(type, 1), events)
                    .snapshots(snapshotStore(type, 1), SnapshotStrategy.always()).build();
            v1.execute(id, new Increment(2), meta());
            v1.execute(id, new Increment(3), meta());
            // A v1 snapshot with a state that is deliberately wrong: a v2 reader must never use it.
            snapshotStore(type, 1).persistSnapshot(id, new VersionedAggregate<>(Version.of(2), new ContractState(999, "stale")));
            var v2 = CompositeEntityStore.builder(new CounterAggregate(type, 2), events)
                    .snapshots(snapshotStore(type, 2), SnapshotStrategy.never()).build();
            HydratedAggregate<ContractState> loaded = v2.rehydrate(id).orElseThrow();
            assertThat(loaded.snapshotVersion()).isEmpty();
            assertThat(loaded.state()).isEqualTo(new ContractState(5, ""));
        }
    }

    @Nested
    class Concurrency {

        /**
         * Many writers race on one aggregate through the whole command flow (load, decide, append with
         * the loaded version expected, no retries). The store must let exactly one writer win each
         * version: accepted commands get distinct versions, the final version is the number accepted,
         * and every loser sees a conflict and nothing else. Each event carries the version it was decided
         * at ({@link StampingCounter}), so a writer that decided on a stale state and was let through
         * anyway shows as an event whose payload is not its sequence - 1.
         */
        @Test
        void racingCommandsOnOneAggregateGetDistinctVersionsAndLosersGetConflicts() throws Exception {
            EventStore<ContractEvent> store = eventStore(type);
            var entities = CompositeEntityStore.builder(new StampingCounter(type), store).build();
            String id = newId();
            int threads = raceThreads();
            int perThread = raceCommandsPerThread();
            Set<Long> versions = ConcurrentHashMap.newKeySet();
            AtomicInteger accepted = new AtomicInteger();
            AtomicInteger conflicts = new AtomicInteger();
            List<Object> unexpected = Collections.synchronizedList(new ArrayList<>());
            race(threads, () -> {
                for (int i = 0; i < perThread; i++) {
                    try {
                        switch (entities.execute(id, new Increment(1), meta())) {
                            case CommandResult.Accepted<Long, ContractEvent> a -> {
                                accepted.incrementAndGet();
                                if (!versions.add(a.version().asLong())) {
                                    unexpected.add("version " + a.version() + " given twice");
                                }
                                if (!a.events().equals(List.of(new dev.cqrs.core.VersionedEvent<>(
                                        EventNumber.of(a.version().asLong()), StampingCounter.decidedAt(a.version().asLong() - 1))))) {
                                    unexpected.add("accepted at " + a.version() + " with " + a.events());
                                }
                            }
                            case CommandResult.Conflict<Long, ContractEvent> c -> conflicts.incrementAndGet();
                            case CommandResult.Rejected<Long, ContractEvent> r -> unexpected.add(r);
                        }
                    } catch (RuntimeException e) {
                        unexpected.add(e);
                    }
                }
            });
            System.out.printf("race on %s: %d accepted, %d conflicts%n", id, accepted.get(), conflicts.get());
            assertThat(unexpected).isEmpty();
            assertThat(accepted.get() + conflicts.get()).isEqualTo(threads * perThread);
            assertThat(accepted.get()).isPositive();
            assertThat(conflicts.get()).as("the writers must actually have raced").isPositive();
            assertThat(versions).hasSize(accepted.get());
            assertThat(new HashSet<>(versions)).isEqualTo(new HashSet<>(
                    IntStream.rangeClosed(1, accepted.get()).mapToObj(Long::valueOf).toList()));
            List<VersionedEventWithMetadata<ContractEvent>> stored = store.readEvents(id, Since.beginning());
            assertThat(stored).hasSize(accepted.get());
            assertThat(StampingCounter.staleDecisions(stored)).as("events written on a stale decision").isEmpty();
            assertThat(entities.rehydrate(id).orElseThrow().version()).isEqualTo(Version.of(accepted.get()));
        }

        /**
         * Racing appends that only require the stream to exist: whoever loses the race for a sequence number
         * must not be told "Exists failed" about a stream that exists; it appends after the winner.
         */
        @Test
        void racingAppendsThatOnlyRequireTheStreamToExistAllSucceed() throws Exception {
            EventStore<ContractEvent> store = eventStore(type);
            String id = streamWith(store, 1);
            int threads = Math.min(raceThreads(), 8);
            int perThread = 50;
            List<Object> failures = Collections.synchronizedList(new ArrayList<>());
            race(threads, () -> {
                for (int i = 0; i < perThread; i++) {
                    try {
                        store.append(id, events(1), pre(Precondition.exists()), meta());
                    } catch (RuntimeException e) {
                        failures.add(e);
                    }
                }
            });
            assertThat(failures).isEmpty();
            assertThat(store.currentVersion(id)).contains(Version.of(1 + threads * perThread));
        }

        /**
         * Racing appends, each expecting the version it read just before: the losers' conflicts name the
         * version that beat them, which is never the one they expected.
         */
        @Test
        void aConflictInARaceNamesTheVersionThatBeatTheCommand() throws Exception {
            EventStore<ContractEvent> store = eventStore(type);
            // A fast store on a busy machine can let the writers run one after another: race again until they meet.
            raceUntil("the writers must actually have raced (a conflict seen)", () -> conflictingRace(store));
        }

        /** One race of {@link #aConflictInARaceNamesTheVersionThatBeatTheCommand}: whether any writer conflicted. */
        private boolean conflictingRace(EventStore<ContractEvent> store) throws Exception {
            String id = streamWith(store, 1);
            int threads = Math.min(raceThreads(), 8);
            List<PreconditionFailedException> conflicts = Collections.synchronizedList(new ArrayList<>());
            List<Object> unexpected = Collections.synchronizedList(new ArrayList<>());
            race(threads, () -> {
                for (int i = 0; i < 50; i++) {
                    Version read = store.currentVersion(id).orElseThrow();
                    try {
                        store.append(id, events(1), pre(Precondition.expectedVersion(read)), meta());
                    } catch (PreconditionFailedException e) {
                        conflicts.add(e);
                    } catch (RuntimeException e) {
                        unexpected.add(e);
                    }
                }
            });
            assertThat(unexpected).isEmpty();
            for (PreconditionFailedException conflict : conflicts) {
                var failure = conflict.failure();
                assertThat(failure.precondition().isSatisfiedBy(failure.actual()))
                        .as("%s reported with version %s", failure.precondition(), failure.actual()).isFalse();
                long expected = ((Precondition.ExpectedVersion) failure.precondition()).version().asLong();
                assertThat(failure.actual().orElseThrow().asLong()).isGreaterThan(expected);
            }
            return !conflicts.isEmpty();
        }

        /**
         * Racing commands with retries: every one is accepted in the end, none of them on a stale decision. The
         * writers start together, so they do race.
         */
        @Test
        void withRetriesEveryRacingCommandIsEventuallyAccepted() throws Exception {
            EventStore<ContractEvent> store = eventStore(type);
            var entities = CompositeEntityStore.builder(new StampingCounter(type), store).retryOnConflict(1_000).build();
            String id = newId();
            int threads = 4;
            int perThread = 25;
            AtomicInteger accepted = new AtomicInteger();
            List<Object> unexpected = Collections.synchronizedList(new ArrayList<>());
            race(threads, () -> {
                for (int i = 0; i < perThread; i++) {
                    var result = entities.execute(id, new Increment(1), meta());
                    if (result instanceof CommandResult.Accepted<?, ?>) {
                        accepted.incrementAndGet();
                    } else {
                        unexpected.add(result);
                    }
                }
            });
            assertThat(unexpected).isEmpty();
            assertThat(accepted.get()).isEqualTo(threads * perThread);
            assertThat(entities.rehydrate(id).orElseThrow().version()).isEqualTo(Version.of(threads * perThread));
            assertThat(StampingCounter.staleDecisions(store.readEvents(id, Since.beginning()))).isEmpty();
        }
    }

    /**
     * The command flow ({@link CompositeEntityStore}) on this store: a write that lands between a command's load
     * and its append, and aggregate caches that go stale under other writers, must never get an event decided on
     * an old state written. Every event carries the version it was decided at ({@link StampingCounter}).
     */
    @Nested
    class CommandFlow {

        @Test
        void aWriteBetweenLoadAndAppendMakesTheCommandAConflictWithoutRetries() {
            EventStore<ContractEvent> store = eventStore(type);
            String id = newId();
            CompositeEntityStore.builder(new StampingCounter(type), store).build().execute(id, new Increment(1), meta());
            var racing = CompositeEntityStore.builder(new StampingCounter(type), new WriterBetweenLoadAndAppend(store, 1)).build();

            var result = racing.execute(id, new Increment(1), meta());

            assertThat(result).isInstanceOfSatisfying(CommandResult.Conflict.class, c -> {
                assertThat(c.failure().precondition()).isEqualTo(Precondition.expectedVersion(1));
                assertThat(c.failure().actual()).contains(Version.of(2));
            });
            List<VersionedEventWithMetadata<ContractEvent>> stored = store.readEvents(id, Since.beginning());
            assertThat(stored).as("the first command's event and the other writer's").hasSize(2);
            assertThat(StampingCounter.staleDecisions(stored)).isEmpty();
        }

        @Test
        void aWriteBetweenLoadAndAppendIsDecidedAgainOnAFreshLoadWhenRetriesAreOn() {
            EventStore<ContractEvent> store = eventStore(type);
            String id = newId();
            var racing = CompositeEntityStore.builder(new StampingCounter(type), new WriterBetweenLoadAndAppend(store, 2))
                    .retryOnConflict(2).build();

            var result = racing.execute(id, new Increment(1), meta());

            assertThat(result).isInstanceOfSatisfying(CommandResult.Accepted.class, a -> {
                assertThat(a.version()).isEqualTo(Version.of(3));
                assertThat(a.events()).containsExactly(new dev.cqrs.core.VersionedEvent<>(EventNumber.of(3),
                        StampingCounter.decidedAt(2)));
            });
            List<VersionedEventWithMetadata<ContractEvent>> stored = store.readEvents(id, Since.beginning());
            assertThat(stored).hasSize(3);
            assertThat(StampingCounter.staleDecisions(stored)).isEmpty();
        }

        @Test
        void retriesAfterAWriteBetweenLoadAndAppendStillHonourTheCallersExpectedVersion() {
            EventStore<ContractEvent> store = eventStore(type);
            String id = newId();
            CompositeEntityStore.builder(new StampingCounter(type), store).build().execute(id, new Increment(1), meta());
            var racing = CompositeEntityStore.builder(new StampingCounter(type), new WriterBetweenLoadAndAppend(store, 1))
                    .retryOnConflict(5).build();

            var result = racing.execute(id, new Increment(1), pre(Precondition.expectedVersion(1)), meta());

            assertThat(result).isInstanceOfSatisfying(CommandResult.Conflict.class,
                    c -> assertThat(c.failure().actual()).contains(Version.of(2)));
            assertThat(store.readEvents(id, Since.beginning())).hasSize(2);
        }

        /**
         * Entity stores with aggregate caches, one per writer as in separate processes, race on one aggregate with
         * retries. Each cache goes stale whenever another writer wins; a stale entry must cost a failed append and a
         * fresh load, never an event decided on the old state. The caches must be in use (fewer loads than
         * commands) and must have gone stale (failed appends counted), or the test proves nothing.
         */
        @Test
        void storesWithCachesRacingOnOneAggregateNeverWriteAnEventDecidedOnAStaleEntry() throws Exception {
            EventStore<ContractEvent> store = eventStore(type);
            // A fast store on a busy machine can let the writers run one after another: race again until a cache went stale.
            raceUntil("appends refused on a cached aggregate: the caches went stale", () -> cachedRace(store));
        }

        /** One race of {@link #storesWithCachesRacingOnOneAggregateNeverWriteAnEventDecidedOnAStaleEntry}: whether a cache went stale. */
        private boolean cachedRace(EventStore<ContractEvent> store) throws Exception {
            String id = newId();
            int writers = 4;
            int perWriter = Math.max(50, raceCommandsPerThread() / 5);
            AtomicInteger accepted = new AtomicInteger();
            List<Object> unexpected = Collections.synchronizedList(new ArrayList<>());
            Counted counted = new Counted(store);
            List<CompositeEntityStore<Long, ContractCommand, ContractEvent>> stores = IntStream.range(0, writers)
                    .mapToObj(w -> CompositeEntityStore.builder(new StampingCounter(type), counted)
                            .cacheAggregates(10).retryOnConflict(10_000).build())
                    .toList();
            AtomicInteger next = new AtomicInteger();
            race(writers, () -> {
                var entities = stores.get(next.getAndIncrement());
                for (int i = 0; i < perWriter; i++) {
                    try {
                        var result = entities.execute(id, new Increment(1), meta());
                        if (result instanceof CommandResult.Accepted<Long, ContractEvent> a && a.events().size() == 1) {
                            accepted.incrementAndGet();
                        } else {
                            unexpected.add(result);
                        }
                    } catch (RuntimeException e) {
                        unexpected.add(e);
                    }
                }
            });
            System.out.printf("cache race on %s: %d accepted, %d appends, %d loads, %d appends failed (%d on a cached"
                            + " aggregate)%n", id, accepted.get(), counted.appends.get(), counted.loads.get(),
                    counted.failedAppends.get(), counted.failedOnACachedAggregate.get());
            assertThat(unexpected).isEmpty();
            assertThat(accepted.get()).isEqualTo(writers * perWriter);
            assertThat(counted.loads.get()).as("loads, fewer than appends: the caches were used")
                    .isLessThan(counted.appends.get());
            List<VersionedEventWithMetadata<ContractEvent>> stored = store.readEvents(id, Since.beginning());
            assertThat(stored).hasSize(writers * perWriter);
            assertThat(StampingCounter.staleDecisions(stored)).as("events written on a stale cache entry").isEmpty();
            return counted.failedOnACachedAggregate.get() > 0;
        }
    }

    /**
     * Runs {@code work} on {@code threads} threads released together by a start latch, and waits for all of them,
     * at most two minutes, failing with a message if one hangs.
     */
    /** A race that checks its invariants and answers whether the race it is about did happen. */
    @FunctionalInterface
    private interface RaceRound {
        boolean raced() throws Exception;
    }

    /**
     * Runs rounds of a race until one shows the evidence that the racers met (a conflict, a stale cache), at most
     * 20: every round's invariants are checked whether or not it raced, and 20 rounds without a meeting fail.
     */
    private static void raceUntil(String evidence, RaceRound round) throws Exception {
        for (int i = 1; i <= 20; i++) {
            if (round.raced()) {
                return;
            }
            System.out.printf("race round %d showed no contention (%s); racing again%n", i, evidence);
        }
        throw new AssertionError(evidence + ": not seen in 20 rounds");
    }

    private static void race(int threads, ThrowingRunnable work) throws Exception {
        CountDownLatch ready = new CountDownLatch(threads);
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                done.add(pool.submit(() -> {
                    ready.countDown();
                    start.await();
                    work.run();
                    return null;
                }));
            }
            if (!ready.await(30, TimeUnit.SECONDS)) {
                throw new AssertionError("the racers did not start within 30 s");
            }
            start.countDown();
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
            for (Future<?> f : done) {
                try {
                    f.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (TimeoutException e) {
                    throw new AssertionError("a racer did not finish within 2 minutes", e);
                } catch (ExecutionException e) {
                    throw new AssertionError("a racer failed: " + e.getCause(), e.getCause());
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** A racer's work. */
    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    /** Passes everything to a store; subclasses change one method. */
    private static class ForwardingStore implements EventStore<ContractEvent> {
        final EventStore<ContractEvent> delegate;

        ForwardingStore(EventStore<ContractEvent> delegate) {
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
        public AppendResult append(String id, List<? extends ContractEvent> events, Optional<Precondition> precondition,
                                   CommandMetadata metadata) {
            return delegate.append(id, events, precondition, metadata);
        }

        @Override
        public Optional<AppendResult> findAppend(String idempotencyKey) {
            return delegate.findAppend(idempotencyKey);
        }
    }

    /**
     * Another writer, a legitimate one, appends its own decision (on the stream's version at that moment) just before
     * each of the first {@code times} appends: a write that lands between the command's load and its append.
     */
    private static final class WriterBetweenLoadAndAppend extends ForwardingStore {
        private final AtomicInteger times;

        WriterBetweenLoadAndAppend(EventStore<ContractEvent> delegate, int times) {
            super(delegate);
            this.times = new AtomicInteger(times);
        }

        @Override
        public AppendResult append(String id, List<? extends ContractEvent> events, Optional<Precondition> precondition,
                                   CommandMetadata metadata) {
            if (times.getAndDecrement() > 0) {
                long now = delegate.currentVersion(id).map(Version::asLong).orElse(0L);
                delegate.append(id, List.of(StampingCounter.decidedAt(now)), pre(Precondition.expectedVersion(Version.of(now))),
                        meta());
            }
            return delegate.append(id, events, precondition, metadata);
        }
    }

    /**
     * Counts what reaches the store from entity stores that each run in a thread of their own: loads, appends, and
     * appends refused for a failed precondition, telling apart those made on a cached aggregate (no load in this
     * thread since its previous append).
     */
    private static final class Counted extends ForwardingStore {
        final AtomicInteger loads = new AtomicInteger();
        final AtomicInteger appends = new AtomicInteger();
        final AtomicInteger failedAppends = new AtomicInteger();
        final AtomicInteger failedOnACachedAggregate = new AtomicInteger();
        private final ThreadLocal<boolean[]> loadedSinceLastAppend = ThreadLocal.withInitial(() -> new boolean[1]);

        Counted(EventStore<ContractEvent> delegate) {
            super(delegate);
        }

        @Override
        public List<VersionedEventWithMetadata<ContractEvent>> readEvents(String id, Since since, int maxCount) {
            loads.incrementAndGet();
            loadedSinceLastAppend.get()[0] = true;
            return super.readEvents(id, since, maxCount);
        }

        @Override
        public AppendResult append(String id, List<? extends ContractEvent> events, Optional<Precondition> precondition,
                                   CommandMetadata metadata) {
            boolean fromCache = !loadedSinceLastAppend.get()[0];
            loadedSinceLastAppend.get()[0] = false;
            appends.incrementAndGet();
            try {
                return super.append(id, events, precondition, metadata);
            } catch (PreconditionFailedException e) {
                failedAppends.incrementAndGet();
                if (fromCache) {
                    failedOnACachedAggregate.incrementAndGet();
                }
                throw e;
            }
        }
    }
}
