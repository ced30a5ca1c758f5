package dev.cqrs.reliability.faults;

import dev.cqrs.core.RawEvent;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Accounts for every acknowledged command and every published record at the end of a run, so that a loss is
 * named, never hidden by the store, the topic and the read model agreeing with each other (issue 18 item 8).
 *
 * <ul>
 *   <li>Every acknowledged command that wrote events must be in the store: its idempotency key there, naming
 *       its to-do, version and position; or at another position that a relay's realignment gave it (same
 *       index within its append, and above the realignment's resume point); or be lost by a failover to an
 *       asynchronous standby (fault 8) that happened while it could be lost.</li>
 *   <li>Every published record the store does not hold at its position must be an event the store lost
 *       (no event of that id anywhere in the store: PostgreSQL's loss, published before the failover), and the
 *       relays must have logged exactly these; an event the store holds at another position was published
 *       twice.</li>
 *   <li>A read-model row may differ from the fold of the store only for a to-do with such a lost published
 *       event (the read model was built from Kafka, which keeps them).</li>
 * </ul>
 */
final class Accounting {

    private static final Pattern LOST = Pattern.compile("the store lost event (\\S+) \\((.+)#(\\d+), global position (\\d+)\\),"
            + " which was published to Kafka");
    private static final Pattern REALIGNED = Pattern.compile("realigned the store with its checkpoint (\\d+): the store keeps every"
            + " published event up to position (\\d+); (\\d+) published event\\(s\\) after it are lost from the store .*; (\\d+) event\\(s\\)"
            + " written since");

    /** A realignment as a relay logged it. */
    record Realignment(long atMillis, String relay, long checkpoint, long resumedAfter, int lostPublished, int renumbered) {
    }

    /** An event a relay logged as lost by the store after publishing it. */
    record LoggedLoss(long atMillis, String relay, UUID eventId, String stream, long sequence, long position) {
    }

    /** An acknowledged command the store does not hold, and the failover (if any) that could have lost it. */
    record LostCommand(CommandLedger.Acknowledged ack, Optional<Injection> failover, boolean published) {
    }

    final List<Realignment> realignments = new ArrayList<>();
    final List<LoggedLoss> loggedLosses = new ArrayList<>();

    long commandsChecked;
    long commandsInStore;
    long commandsRenumbered;
    final List<LostCommand> lostByFailover = new ArrayList<>();
    final List<String> commandFindings = new ArrayList<>();

    /** Published records whose event the store lost (by event id), by position. */
    final Map<Long, RawEvent> lostPublished = new TreeMap<>();
    final List<String> topicFindings = new ArrayList<>();
    final Set<String> todosWithLostEvents = new HashSet<>();
    long lostPublishedWithoutAcknowledgedCommand;

    /** Stored events that change nothing, for to-dos with a lost event (decided on the lost state) and otherwise. */
    final List<String> changeNothingAfterLoss = new ArrayList<>();
    final List<String> changeNothingOtherwise = new ArrayList<>();

    final Map<String, String> explainedRows = new TreeMap<>();
    final Map<String, String> unexplainedRows = new TreeMap<>();
    final List<String> readModelDiagnosis = new ArrayList<>();

    private Accounting() {
    }

    static Accounting of(EndState end, List<CommandLedger.Acknowledged> acks, List<Injection> injections,
                         List<OperatorView.LogLine> logLines) {
        Accounting accounting = new Accounting();
        accounting.readRelayLogs(logLines);
        accounting.checkTopic(end, injections);
        accounting.checkCommands(end, acks, injections);
        accounting.checkReadModel(end);
        Set<String> lostState = new HashSet<>(accounting.todosWithLostEvents);
        accounting.lostByFailover.forEach(lost -> lostState.add(lost.ack().todoId()));
        for (String event : end.eventsThatChangeNothing) {
            String todo = event.substring(event.indexOf('/') + 1, event.indexOf('#'));
            (lostState.contains(todo) ? accounting.changeNothingAfterLoss : accounting.changeNothingOtherwise).add(event);
        }
        return accounting;
    }

    private void readRelayLogs(List<OperatorView.LogLine> lines) {
        for (OperatorView.LogLine line : lines) {
            Matcher lost = LOST.matcher(line.message());
            if (lost.find()) {
                loggedLosses.add(new LoggedLoss(line.atMillis(), line.process(), UUID.fromString(lost.group(1)), lost.group(2),
                        Long.parseLong(lost.group(3)), Long.parseLong(lost.group(4))));
                continue;
            }
            Matcher realigned = REALIGNED.matcher(line.message());
            if (realigned.find()) {
                realignments.add(new Realignment(line.atMillis(), line.process(), Long.parseLong(realigned.group(1)),
                        Long.parseLong(realigned.group(2)), Integer.parseInt(realigned.group(3)), Integer.parseInt(realigned.group(4))));
            }
        }
    }

    private void checkTopic(EndState end, List<Injection> injections) {
        for (SettledTopic.Published record : end.topic) {
            RawEvent event = record.event();
            EndState.StoredEvent there = end.eventsByPosition.get(event.globalPosition());
            if (there != null && there.eventId().equals(event.metadata().eventId())) {
                continue;
            }
            EndState.StoredEvent elsewhere = end.eventsById.get(event.metadata().eventId());
            String where = "partition " + record.partition() + " offset " + record.offset();
            if (elsewhere != null) {
                topicFindings.add("event " + event.metadata().eventId() + " (" + event.stream() + "#" + event.sequence().value()
                        + ") was published at position " + event.globalPosition() + " (" + where + ") but the store holds it at position "
                        + elsewhere.position() + ": published twice under two positions");
                continue;
            }
            // Lost: the store holds no event of that id (at that position it may hold a later append that took it).
            lostPublished.put(event.globalPosition(), event);
            todosWithLostEvents.add(event.stream().aggregateId());
            Instant recorded = event.metadata().recordedAt();
            boolean inWindow = injections.stream().anyMatch(i -> i.kind == FaultKind.FAILOVER_WITH_LOSS
                    && recorded.toEpochMilli() >= i.lossFromMillis - 2_000 && recorded.toEpochMilli() <= i.lossToMillis + 2_000);
            if (!inWindow) {
                topicFindings.add("event " + event.metadata().eventId() + " (" + event.stream() + "#" + event.sequence().value()
                        + ", position " + event.globalPosition() + ", " + where + ", recorded at " + recorded + ") is published but not"
                        + " in the store, and no failover that loses commits happened then");
            }
        }
        Set<UUID> logged = new HashSet<>();
        loggedLosses.forEach(l -> logged.add(l.eventId()));
        Set<UUID> found = new HashSet<>();
        lostPublished.values().forEach(e -> found.add(e.metadata().eventId()));
        for (LoggedLoss loss : loggedLosses) {
            if (!found.contains(loss.eventId())) {
                topicFindings.add(loss.relay() + " logged event " + loss.eventId() + " (" + loss.stream() + "#" + loss.sequence()
                        + ", position " + loss.position() + ") as lost, but " + (end.eventsById.containsKey(loss.eventId())
                        ? "the store holds it at position " + end.eventsById.get(loss.eventId()).position()
                        : "the topic does not hold it"));
            }
        }
        for (RawEvent event : lostPublished.values()) {
            if (!logged.contains(event.metadata().eventId())) {
                topicFindings.add("event " + event.metadata().eventId() + " (" + event.stream() + "#" + event.sequence().value()
                        + ", position " + event.globalPosition() + ") is published and lost from the store, but no relay logged it");
            }
        }
    }

    private void checkCommands(EndState end, List<CommandLedger.Acknowledged> acks, List<Injection> injections) {
        Set<Long> lostPositionsAcknowledged = new HashSet<>();
        for (CommandLedger.Acknowledged ack : acks) {
            if (ack.position().isEmpty()) {
                continue; // it wrote nothing: nothing to find
            }
            commandsChecked++;
            long position = ack.position().getAsLong();
            EndState.Key key = end.keys.get(ack.key());
            if (key == null) {
                Optional<Injection> failover = injections.stream().filter(i -> i.mayHaveLost(ack.ackMillis())).findFirst();
                boolean published = lostPublished.containsKey(position);
                if (published) {
                    lostPositionsAcknowledged.add(position);
                }
                if (failover.isPresent()) {
                    lostByFailover.add(new LostCommand(ack, failover, published));
                } else {
                    commandFindings.add("acknowledged command " + describe(ack) + " is not in the store (its idempotency key is gone),"
                            + " and no failover that loses commits happened while it ran");
                }
                continue;
            }
            if (!key.todoId().equals(ack.todoId()) || key.lastSequence() != ack.version()) {
                commandFindings.add("acknowledged command " + describe(ack) + ": the store's idempotency key names " + key.todoId()
                        + " version " + key.lastSequence());
                continue;
            }
            EndState.StoredEvent event = end.eventsByPosition.get(key.lastPosition());
            if (event == null || !event.todoId().equals(ack.todoId()) || event.sequence() != ack.version()) {
                commandFindings.add("acknowledged command " + describe(ack) + ": its key points at position " + key.lastPosition()
                        + ", where the store holds " + (event == null ? "nothing" : event.todoId() + "#" + event.sequence()));
                continue;
            }
            if (key.lastPosition() == position) {
                commandsInStore++;
            } else if (renumbered(position, key.lastPosition(), ack.ackMillis())) {
                commandsRenumbered++;
            } else {
                commandFindings.add("acknowledged command " + describe(ack) + " is in the store at position " + key.lastPosition()
                        + ", which no realignment explains");
            }
        }
        lostPublishedWithoutAcknowledgedCommand = lostPublished.keySet().stream().filter(p -> !lostPositionsAcknowledged.contains(p)).count();
    }

    /** Whether a realignment after the command moved its events: same index in the append, above the resume point. */
    private boolean renumbered(long acknowledged, long stored, long ackMillis) {
        return (acknowledged & 0xFFFF) == (stored & 0xFFFF) && stored > acknowledged && realignments.stream().anyMatch(r ->
                r.atMillis() >= ackMillis - 1_000 && acknowledged > r.resumedAfter() && stored > r.checkpoint());
    }

    private void checkReadModel(EndState end) {
        end.readModelDifferences.forEach((todo, what) -> {
            if (todosWithLostEvents.contains(todo)) {
                explainedRows.put(todo, what);
            } else {
                unexplainedRows.put(todo, what);
            }
        });
        if (unexplainedRows.isEmpty()) {
            return;
        }
        for (EndState.PartitionProgress p : end.progress.values()) {
            long between = end.topic.stream().filter(r -> r.partition() == p.partition() && r.offset() > p.appliedOffset()
                    && r.offset() < p.committedOffset()).count();
            if (between > 0) {
                readModelDiagnosis.add("partition " + p.partition() + ": the read model applied up to offset " + p.appliedOffset()
                        + " but the projection's consumer group has committed offset " + p.committedOffset() + ": " + between
                        + " record(s) in between were never applied and will not be delivered again");
            }
        }
    }

    /** What stays unexplained: the differences beyond what fault 8 names. */
    long unexplained() {
        return commandFindings.size() + topicFindings.size() + unexplainedRows.size() + changeNothingOtherwise.size();
    }

    private static String describe(CommandLedger.Acknowledged ack) {
        return "(key " + ack.key() + ", to-do " + ack.todoId() + ", version " + ack.version() + ", position "
                + ack.position().orElse(0) + ", acknowledged by " + ack.api() + " at " + Instant.ofEpochMilli(ack.ackMillis()) + ")";
    }

    static String describeLost(LostCommand lost) {
        return describe(lost.ack()) + (lost.published() ? ", published before it was lost" : ", never published")
                + lost.failover().map(f -> ", lost by failover " + f.describe()).orElse("");
    }
}
