package dev.cqrs.reliability.faults;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The nine kinds of fault of {@code ./cqrs faults} (issue 13), numbered as the issue numbers them so that
 * {@code --only 2,8} reads the same in the issue, the command and the report. A kind with several targets
 * (a relay, a projector or an api process; the relay from Kafka or a projector from PostgreSQL) strikes
 * them in turn: each injection of the kind picks the next of its variants.
 */
enum FaultKind {

    KILL(1, "SIGKILL of a process", "the relay leader, a projector or an api process SIGKILLed, started again 0.5-3 s later",
            "relay leader", "projector", "api"),
    PAUSE_RELAY(2, "SIGSTOP of the relay leader", "SIGSTOP for longer than its lease and its producer's timeouts, then SIGCONT:"
            + " a zombie that must be fenced", "relay leader"),
    PAUSE_PROJECTOR(3, "SIGSTOP of a projector", "SIGSTOP for longer than its session timeout, then SIGCONT: a zombie whose"
            + " partitions moved to its peer", "projector"),
    KILL_BROKER(4, "SIGKILL of a Kafka node", "the node leading most event partitions, or the relay's transaction coordinator,"
            + " SIGKILLed and restarted on its data 2-5 s later", "event partition leader", "transaction coordinator"),
    PARTITION(5, "network partition", "a relay cut off from Kafka, or a projector from PostgreSQL, for 10-30 s (blackhole:"
            + " connections hang, nothing is forwarded)", "relay leader from Kafka", "projector from PostgreSQL"),
    LATENCY(6, "network latency", "50-200 ms each way with jitter, for 15-25 s, between the relays and PostgreSQL, or the"
            + " projectors and Kafka", "relays to PostgreSQL", "projectors to Kafka"),
    FAILOVER(7, "PostgreSQL failover (synchronous)", "the primary SIGKILLed, the synchronous standby promoted, the services"
            + " follow the multi-host URL; a new standby is cloned afterwards", "synchronous standby"),
    FAILOVER_WITH_LOSS(8, "PostgreSQL failover (asynchronous, commits lost)", "replication made asynchronous and the standby"
            + " cut off, 1.5-4 s of commits, then the primary SIGKILLed and the standby promoted: those commits are lost;"
            + " the relays realign", "asynchronous standby"),
    POSTGRES_CRASH(9, "PostgreSQL backends and crash", "every client backend terminated, or the primary SIGKILLed and"
            + " restarted on its data 0.5-3 s later", "backends terminated", "primary crashed");

    final int number;
    final String title;
    final String how;
    final List<String> variants;

    FaultKind(int number, String title, String how, String... variants) {
        this.number = number;
        this.title = title;
        this.how = how;
        this.variants = List.of(variants);
    }

    /** The kind of that number (1-9). */
    static FaultKind numbered(int number) {
        return Arrays.stream(values()).filter(k -> k.number == number).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("there is no fault kind " + number + "; the kinds are 1 to 9"));
    }

    /**
     * The kinds a {@code --only} value names: numbers or names, comma-separated ({@code 2,8},
     * {@code pause_relay,8}).
     */
    static Set<FaultKind> parse(String list) {
        Set<FaultKind> kinds = EnumSet.noneOf(FaultKind.class);
        for (String part : list.split(",")) {
            String name = part.strip();
            if (name.isEmpty()) {
                continue;
            }
            if (name.chars().allMatch(Character::isDigit)) {
                kinds.add(numbered(Integer.parseInt(name)));
            } else {
                try {
                    kinds.add(valueOf(name.toUpperCase(Locale.ROOT).replace('-', '_')));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("'" + name + "' is not a fault kind; give numbers 1 to 9 or names such as "
                            + KILL.label());
                }
            }
        }
        if (kinds.isEmpty()) {
            throw new IllegalArgumentException("--only needs at least one fault kind (1 to 9)");
        }
        return kinds;
    }

    /** {@code pause_relay}: the name --only accepts. */
    String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** {@code 2 SIGSTOP of the relay leader}: as the report names the kind. */
    String heading() {
        return number + " " + title;
    }
}
