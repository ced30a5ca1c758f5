package dev.cqrs.reliability.faults;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cqrs.core.EventNumber;
import dev.cqrs.core.EventMetadata;
import dev.cqrs.core.RawEvent;
import dev.cqrs.core.StreamId;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * How the fault suite accounts for acknowledged commands and published records (issue 18 item 8): a loss is
 * named as the failover's only when such a failover happened while the command ran, a realignment's new
 * position is accepted only as the realignment gives it, and anything else is a finding.
 */
class AccountingTest {

    private static final long T0 = 1_800_000_000_000L;
    private final List<SettledTopic.Published> topic = new ArrayList<>();
    private final Map<String, String> expected = new HashMap<>();
    private final Map<String, String> actual = new HashMap<>();
    private final List<CommandLedger.Acknowledged> acks = new ArrayList<>();
    private final List<Injection> injections = new ArrayList<>();
    private final List<OperatorView.LogLine> logs = new ArrayList<>();
    private EndState end;

    @Test
    void theStoresKeyOfACommandIsTheClientsKeyUnderItsPrincipal() {
        // The service stores "<initiated by>/<key>": read as it is, no acknowledged command was ever found.
        assertThat(EndState.clientKey("anonymous/7ce3b0a0-8ef1-4c6e-b2ed-09b401040782")).isEqualTo("7ce3b0a0-8ef1-4c6e-b2ed-09b401040782");
        assertThat(EndState.clientKey("7ce3b0a0-8ef1-4c6e-b2ed-09b401040782")).isEqualTo("7ce3b0a0-8ef1-4c6e-b2ed-09b401040782");
    }

    @Test
    void anAcknowledgedCommandInTheStoreAtItsPositionIsAccountedFor() {
        given();
        UUID id = store("a", 1, position(100, 0));
        publish("a", 1, position(100, 0), id, T0);
        acknowledge("k1", "a", 1, position(100, 0), T0);

        Accounting accounting = account();

        assertThat(accounting.commandsInStore).isEqualTo(1);
        assertThat(accounting.unexplained()).isZero();
    }

    @Test
    void anAcknowledgedCommandMissingFromTheStoreWithoutAFailoverThatLosesCommitsIsAFinding() {
        given();
        acknowledge("k1", "a", 1, position(100, 0), T0);
        failover(FaultKind.FAILOVER, T0 - 5_000, T0 - 4_000); // a synchronous one loses nothing

        Accounting accounting = account();

        assertThat(accounting.lostByFailover).isEmpty();
        assertThat(accounting.commandFindings).singleElement().asString().contains("key k1").contains("is not in the store");
    }

    @Test
    void anAcknowledgedCommandLostWhileAnAsynchronousFailoverCouldLoseItIsNamedAsItsLoss() {
        given();
        UUID lost = UUID.randomUUID();
        publish("a", 1, position(100, 0), lost, T0);
        acknowledge("k1", "a", 1, position(100, 0), T0);
        acknowledge("k2", "b", 1, position(101, 0), T0 + 100); // never published
        failover(FaultKind.FAILOVER_WITH_LOSS, T0 - 1_000, T0 + 2_000);
        logs.add(log("relay-1", T0 + 5_000, "Relay todo: the store lost event " + lost + " (todo/a#1, global position "
                + position(100, 0) + "), which was published to Kafka"));

        Accounting accounting = account();

        assertThat(accounting.lostByFailover).extracting(l -> l.ack().key()).containsExactly("k1", "k2");
        assertThat(accounting.lostByFailover).extracting(Accounting.LostCommand::published).containsExactly(true, false);
        assertThat(accounting.lostPublished).containsOnlyKeys(position(100, 0));
        assertThat(accounting.unexplained()).isZero();
    }

    @Test
    void aLostPublishedEventThatNoRelayLoggedIsAFinding() {
        given();
        publish("a", 1, position(100, 0), UUID.randomUUID(), T0);
        failover(FaultKind.FAILOVER_WITH_LOSS, T0 - 1_000, T0 + 2_000);

        Accounting accounting = account();

        assertThat(accounting.topicFindings).singleElement().asString().contains("no relay logged it");
    }

    @Test
    void aPublishedEventTheStoreHoldsAtAnotherPositionWasPublishedTwice() {
        given();
        UUID id = store("a", 1, position(300, 0));
        publish("a", 1, position(100, 0), id, T0);
        publish("a", 1, position(300, 0), id, T0);

        Accounting accounting = account();

        assertThat(accounting.topicFindings).singleElement().asString().contains("published twice under two positions");
    }

    @Test
    void aCommandARealignmentMovedIsInTheStoreOnlyAtThePositionTheRealignmentGaveIt() {
        given();
        store("a", 1, position(900, 1));
        end.keys.put("k1", new EndState.Key("a", 1, position(900, 1)));
        store("b", 1, position(950, 0));
        end.keys.put("k2", new EndState.Key("b", 1, position(950, 0)));
        acknowledge("k1", "a", 1, position(120, 1), T0);  // renumbered: same index, above the resume point
        acknowledge("k2", "b", 1, position(120, 3), T0);  // another index: not what a realignment does
        logs.add(log("relay-2", T0 + 3_000, "Relay todo: realigned the store with its checkpoint " + position(150, 0) + ": the store"
                + " keeps every published event up to position " + position(110, 0) + "; 0 published event(s) after it are lost from the"
                + " store (PostgreSQL's loss; listed above); 2 event(s) written since the store went back have new positions above "
                + position(150, 0) + " and will be published now"));

        Accounting accounting = account();

        assertThat(accounting.realignments).singleElement().satisfies(r -> assertThat(r.resumedAfter()).isEqualTo(position(110, 0)));
        assertThat(accounting.commandsRenumbered).isEqualTo(1);
        assertThat(accounting.commandFindings).singleElement().asString().contains("key k2").contains("which no realignment explains");
    }

    @Test
    void aReadModelRowMayDifferOnlyForAToDoWithALostPublishedEvent() {
        expected.put("a", "version=1");
        actual.put("a", "version=2");
        expected.put("b", "version=3");
        actual.put("b", "version=2");
        end = new EndState(topic, expected, actual, List.of("todo/a#3 todo.Completed at position 7", "todo/c#4 todo.Completed at position 9"));
        UUID lost = UUID.randomUUID();
        publish("a", 2, position(100, 0), lost, T0);
        failover(FaultKind.FAILOVER_WITH_LOSS, T0 - 1_000, T0 + 2_000);
        logs.add(log("relay-1", T0 + 5_000, "Relay todo: the store lost event " + lost + " (todo/a#2, global position "
                + position(100, 0) + "), which was published to Kafka"));
        UUID applied = store("b", 3, position(90, 0));
        topic.add(new SettledTopic.Published(1, 12, event("b", 3, position(90, 0), applied, T0)));
        end.progress.put(1, new EndState.PartitionProgress(1, 10, 14));

        Accounting accounting = account();

        assertThat(accounting.explainedRows).containsOnlyKeys("a");
        assertThat(accounting.unexplainedRows).containsOnlyKeys("b");
        assertThat(accounting.readModelDiagnosis).singleElement().asString()
                .contains("partition 1: the read model applied up to offset 10 but the projection's consumer group has committed offset 14")
                .contains("1 record(s) in between were never applied");
        assertThat(accounting.changeNothingAfterLoss).containsExactly("todo/a#3 todo.Completed at position 7");
        assertThat(accounting.changeNothingOtherwise).containsExactly("todo/c#4 todo.Completed at position 9");
        assertThat(accounting.unexplained()).isEqualTo(2);
    }

    private void given() {
        end = new EndState(topic, expected, actual, List.of());
    }

    private Accounting account() {
        return Accounting.of(end, acks, injections, logs);
    }

    private static long position(long transaction, int index) {
        return (transaction << 16) + index;
    }

    private UUID store(String todo, long sequence, long position) {
        UUID id = UUID.randomUUID();
        end.stored(new EndState.StoredEvent(position, id, todo, sequence));
        return id;
    }

    private void publish(String todo, long sequence, long position, UUID eventId, long recordedAt) {
        topic.add(new SettledTopic.Published(0, topic.size(), event(todo, sequence, position, eventId, recordedAt)));
    }

    private static RawEvent event(String todo, long sequence, long position, UUID eventId, long recordedAt) {
        return new RawEvent(position, StreamId.of("todo", todo), EventNumber.of(sequence), "todo.Created", "avro", new byte[] {1},
                new EventMetadata(eventId, UUID.randomUUID(), Optional.empty(), Optional.empty(), Instant.ofEpochMilli(recordedAt), Map.of()));
    }

    private void acknowledge(String key, String todo, long version, long position, long at) {
        acks.add(new CommandLedger.Acknowledged(key, todo, version, OptionalLong.of(position), 1, false, at, "api-1"));
        if (end.eventsByPosition.containsKey(position) && !end.keys.containsKey(key)) {
            end.keys.put(key, new EndState.Key(todo, version, position));
        }
    }

    private void failover(FaultKind kind, long from, long to) {
        Injection injection = new Injection(injections.size() + 1, kind, kind.variants.getFirst());
        injection.lossFromMillis = kind == FaultKind.FAILOVER_WITH_LOSS ? from : 0;
        injection.lossToMillis = kind == FaultKind.FAILOVER_WITH_LOSS ? to : 0;
        injection.startMillis = to - 100;
        injection.healedMillis = to;
        injections.add(injection);
    }

    private static OperatorView.LogLine log(String process, long at, String message) {
        return new OperatorView.LogLine(at, process, message.contains("lost event") ? "ERROR" : "WARN", "d.c.outbox.Realignment", message);
    }
}
