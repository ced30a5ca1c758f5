package dev.cqrs.reliability.faults;

import dev.cqrs.audit.AuditReport;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The fault suite's findings as text for people: per fault kind a row (injections, commands acknowledged,
 * rejected, failed and retried while it lasted, recovery time p50 and max), what an operator saw per kind
 * (health, metrics, log lines), every injection, the audit, and the accounting of acknowledged commands and
 * of what a failover lost. The same text is printed and written to the run's {@code report.md}.
 */
final class SuiteReport {

    private final FaultSuite.Options options;
    private final long startMillis;
    private final List<Injection> injections;
    private final CommandLedger ledger;
    private final OperatorView operator;
    private final AuditReport audit;
    private final Accounting accounting;
    private final Duration took;
    private final int clients;

    SuiteReport(FaultSuite.Options options, long startMillis, List<Injection> injections, CommandLedger ledger, OperatorView operator,
                AuditReport audit, Accounting accounting, Duration took, int clients) {
        this.options = options;
        this.startMillis = startMillis;
        this.injections = List.copyOf(injections);
        this.ledger = ledger;
        this.operator = operator;
        this.audit = audit;
        this.accounting = accounting;
        this.took = took;
        this.clients = clients;
    }

    /** Audit differences that the failovers' losses do not account for, plus every accounting finding. */
    long differencesBeyondFault8() {
        long explainedByLoss = accounting.lostPublished.size() + accounting.explainedRows.size();
        return Math.max(0, audit.differences() - explainedByLoss) + accounting.unexplained();
    }

    boolean recoveredEveryTime() {
        return injections.stream().allMatch(i -> i.recoveryMillis().isPresent());
    }

    boolean clean() {
        return differencesBeyondFault8() == 0 && recoveredEveryTime() && ledger.total(CommandLedger.Outcome.FAILED) == 0
                && accounting.topicFindings.isEmpty() && accounting.commandFindings.isEmpty();
    }

    /** The table of fault kinds: what the issue asks per kind. */
    String kindTable() {
        StringBuilder out = new StringBuilder();
        out.append(String.format("%-52s %4s %9s %9s %6s %8s %9s %9s%n", "fault kind", "inj", "acked", "rejected", "failed", "retried",
                "rec. p50", "rec. max"));
        for (FaultKind kind : FaultKind.values()) {
            List<Injection> ofKind = injections.stream().filter(i -> i.kind == kind).toList();
            if (ofKind.isEmpty()) {
                continue;
            }
            long acked = 0;
            long rejected = 0;
            long failed = 0;
            long retried = 0;
            List<Long> recoveries = new ArrayList<>();
            int notRecovered = 0;
            for (Injection i : ofKind) {
                long from = i.bandFromMillis();
                long to = windowEnd(i);
                acked += ledger.between(CommandLedger.Outcome.ACKNOWLEDGED, from, to);
                rejected += ledger.between(CommandLedger.Outcome.REJECTED, from, to);
                failed += ledger.between(CommandLedger.Outcome.FAILED, from, to);
                retried += ledger.between(CommandLedger.Outcome.RETRIED, from, to);
                OptionalLong recovery = i.recoveryMillis();
                if (recovery.isPresent()) {
                    recoveries.add(recovery.getAsLong());
                } else {
                    notRecovered++;
                }
            }
            recoveries.sort(null);
            String p50 = recoveries.isEmpty() ? "-" : seconds(recoveries.get((recoveries.size() - 1) / 2));
            String max = notRecovered > 0 ? notRecovered + " never" : recoveries.isEmpty() ? "-" : seconds(recoveries.getLast());
            out.append(String.format("%-52s %4d %,9d %,9d %,6d %,8d %9s %9s%n", truncate(kind.heading(), 52), ofKind.size(), acked, rejected,
                    failed, retried, p50, max));
        }
        return out.toString();
    }

    /** Per kind: what an operator saw during its injections. */
    String operatorTable() {
        StringBuilder out = new StringBuilder();
        for (FaultKind kind : FaultKind.values()) {
            List<Injection> ofKind = injections.stream().filter(i -> i.kind == kind).toList();
            if (ofKind.isEmpty()) {
                continue;
            }
            Map<String, Set<String>> health = new TreeMap<>();
            Map<String, Integer> healthCount = new TreeMap<>();
            double relayLag = 0;
            double projectionLag = 0;
            long relayErrors = 0;
            int leaderChanges = 0;
            int warns = 0;
            int errors = 0;
            Map<String, Integer> lines = new LinkedHashMap<>();
            for (Injection i : ofKind) {
                OperatorView.Summary s = operator.summary(i.bandFromMillis(), windowEnd(i));
                s.notUp().forEach((process, statuses) -> {
                    health.computeIfAbsent(process, p -> new TreeSet<>()).addAll(statuses);
                    healthCount.merge(process, 1, Integer::sum);
                });
                relayLag = Math.max(relayLag, s.relayLag());
                projectionLag = Math.max(projectionLag, s.projectionLag());
                relayErrors += s.relayErrors();
                leaderChanges += (int) Math.max(0, s.leaders().stream().filter(l -> !l.equals("none")).count() - 1);
                warns += s.warnLines();
                errors += s.errorLines();
                for (String line : s.topLines()) {
                    int x = line.indexOf("x ");
                    String pattern = line.substring(x + 2);
                    lines.merge(pattern, Integer.parseInt(line.substring(0, x)), Integer::sum);
                }
            }
            out.append(kind.heading()).append(System.lineSeparator());
            out.append("  health:  ").append(health.isEmpty() ? "every process ready throughout" : health.entrySet().stream()
                    .map(e -> e.getKey() + " (" + healthCount.get(e.getKey()) + " of " + ofKind.size() + "): "
                            + String.join(" | ", e.getValue()))
                    .collect(Collectors.joining(System.lineSeparator() + "           "))).append(System.lineSeparator());
            out.append(String.format("  metrics: relay leader changed %d time(s); relay lag up to %,d events; projection lag up to %,d"
                    + " records; relay errors +%d%n", leaderChanges, Math.round(relayLag), Math.round(projectionLag), relayErrors));
            out.append(String.format("  logs:    %d WARN and %d ERROR lines%s%n", warns, errors, lines.isEmpty() ? "" : "; most often:"));
            lines.entrySet().stream().sorted((a, b) -> b.getValue() - a.getValue()).limit(4)
                    .forEach(e -> out.append("           ").append(e.getValue()).append("x ").append(e.getKey()).append(System.lineSeparator()));
        }
        return out.toString();
    }

    /** Every injection, in order. */
    String injectionList() {
        StringBuilder out = new StringBuilder();
        for (Injection i : injections) {
            out.append(String.format("%3d  at %7s  kind %d %-26s %-14s recovered %s%n      %s%n", i.ordinal,
                    seconds(i.startMillis - startMillis), i.kind.number, truncate(i.variant, 26), truncate(i.target, 14),
                    i.recoveryMillis().isPresent() ? "after " + seconds(i.recoveryMillis().getAsLong()) : "NOT within the bound", i.detail));
        }
        return out.toString();
    }

    /** Commands overall, the audit, and the accounting of acknowledged commands and lost events. */
    String totals() {
        StringBuilder out = new StringBuilder();
        out.append(String.format("%-56s %12s%n", "commands", "count"));
        row(out, "clients", clients);
        row(out, "  each pausing between commands (ms, from; up to twice it)", options.thinkMillis());
        row(out, "commands sent (each with an idempotency key)", ledger.sent());
        row(out, "commands acknowledged", ledger.total(CommandLedger.Outcome.ACKNOWLEDGED));
        row(out, "  of which answered again by idempotency key", ledger.replayed());
        ledger.rejections().forEach((code, count) -> row(out, "commands rejected: " + code, count));
        row(out, "commands failed (unavailable for " + CommandSender.GIVE_UP.toMinutes() + " min)", ledger.total(CommandLedger.Outcome.FAILED));
        row(out, "sends repeated while the service was unavailable", ledger.total(CommandLedger.Outcome.RETRIED));
        out.append(audit.table());
        out.append(String.format("%-56s %12s%n", "accounting (issue 18 item 8, fault 8)", "count"));
        row(out, "acknowledged commands that wrote events", accounting.commandsChecked);
        row(out, "  in the store at their to-do, version and position", accounting.commandsInStore);
        row(out, "  in the store at a position a realignment gave them", accounting.commandsRenumbered);
        row(out, "  lost by a failover to an asynchronous standby", accounting.lostByFailover.size());
        row(out, "    of which published to Kafka before the failover", accounting.lostByFailover.stream().filter(Accounting.LostCommand::published).count());
        row(out, "  missing or misplaced otherwise", accounting.commandFindings.size());
        row(out, "published events the store lost (suite)", accounting.lostPublished.size());
        row(out, "published events the store lost (relays' log)", accounting.loggedLosses.size());
        row(out, "  of which no acknowledged command wrote", accounting.lostPublishedWithoutAcknowledgedCommand);
        row(out, "realignments the relays logged", accounting.realignments.size());
        row(out, "read-model rows differing for a to-do with lost events", accounting.explainedRows.size());
        row(out, "read-model rows differing otherwise", accounting.unexplainedRows.size());
        row(out, "published records otherwise unaccounted for", accounting.topicFindings.size());
        row(out, "stored events that change nothing, for a to-do with lost events", accounting.changeNothingAfterLoss.size());
        row(out, "stored events that change nothing, otherwise", accounting.changeNothingOtherwise.size());
        row(out, "differences beyond what fault 8 names", differencesBeyondFault8());
        out.append(String.format("%-56s %12s%n", "duration", took.toMinutesPart() + " min " + took.toSecondsPart() + " s"));
        return out.toString();
    }

    /** The details behind the accounting: each loss and finding, by name. */
    String details() {
        StringBuilder out = new StringBuilder();
        if (!accounting.lostByFailover.isEmpty()) {
            out.append("Acknowledged commands lost by PostgreSQL (failovers to an asynchronous standby):").append(System.lineSeparator());
            accounting.lostByFailover.forEach(l -> out.append("  ").append(Accounting.describeLost(l)).append(System.lineSeparator()));
        }
        for (Accounting.Realignment r : accounting.realignments) {
            out.append(String.format("Realignment by %s at %s: checkpoint %d, resumed after %d, %d published event(s) lost, %d renumbered%n",
                    r.relay(), Instant.ofEpochMilli(r.atMillis()), r.checkpoint(), r.resumedAfter(), r.lostPublished(), r.renumbered()));
        }
        section(out, "Stored events that change nothing, for to-dos with lost events (the command was decided on the lost state):",
                accounting.changeNothingAfterLoss);
        section(out, "Stored events that change nothing, for other to-dos (decided on a stale state):", accounting.changeNothingOtherwise);
        section(out, "Findings about acknowledged commands:", accounting.commandFindings);
        section(out, "Findings about published records:", accounting.topicFindings);
        if (!accounting.unexplainedRows.isEmpty()) {
            out.append("Read-model rows that differ from the store for to-dos without a lost event (").append(accounting.unexplainedRows.size())
                    .append("):").append(System.lineSeparator());
            accounting.unexplainedRows.entrySet().stream().limit(20)
                    .forEach(e -> out.append("  ").append(e.getKey()).append(": ").append(e.getValue()).append(System.lineSeparator()));
            section(out, "Why (the read model's positions against its consumer group's offsets):", accounting.readModelDiagnosis);
        }
        return out.toString();
    }

    private static void section(StringBuilder out, String title, List<String> lines) {
        if (!lines.isEmpty()) {
            out.append(title).append(" (").append(lines.size()).append(")").append(System.lineSeparator());
            lines.stream().limit(40).forEach(l -> out.append("  ").append(l).append(System.lineSeparator()));
        }
    }

    String verdict() {
        if (clean()) {
            return "no difference beyond what fault 8 names: nothing else lost, duplicated, skipped or reordered; every fault recovered";
        }
        List<String> why = new ArrayList<>();
        if (differencesBeyondFault8() > 0) {
            why.add(differencesBeyondFault8() + " difference(s) beyond what fault 8 names");
        }
        if (!recoveredEveryTime()) {
            why.add(injections.stream().filter(i -> i.recoveryMillis().isEmpty()).count() + " injection(s) not recovered in time");
        }
        if (ledger.total(CommandLedger.Outcome.FAILED) > 0) {
            why.add(ledger.total(CommandLedger.Outcome.FAILED) + " command(s) failed");
        }
        return "FINDINGS: " + String.join("; ", why);
    }

    /** The command that replays this run. */
    String command() {
        return "./cqrs faults --seed " + options.seed() + (options.perKind() != 5 ? " --faults-per-kind " + options.perKind() : "")
                + (options.clients() != 12 ? " --clients " + options.clients() : "")
                + (options.thinkMillis() != FaultSuite.Options.DEFAULT_THINK_MILLIS ? " --think-ms " + options.thinkMillis() : "")
                + (options.kinds().size() < FaultKind.values().length ? " --only " + options.kinds().stream()
                .map(k -> Integer.toString(k.number)).collect(Collectors.joining(",")) : "");
    }

    private long windowEnd(Injection i) {
        return i.recoveredMillis > 0 ? i.recoveredMillis : Math.max(i.healedMillis, i.startMillis) + FaultSuite.RECOVERY_BOUND.toMillis();
    }

    private static void row(StringBuilder out, String label, long count) {
        out.append(String.format("%-56s %,12d%n", label, count));
    }

    static String seconds(long millis) {
        return String.format(Locale.ROOT, "%.1f s", millis / 1000.0);
    }

    private static String truncate(String text, int width) {
        return text.length() <= width ? text : text.substring(0, width - 1) + "~";
    }
}
