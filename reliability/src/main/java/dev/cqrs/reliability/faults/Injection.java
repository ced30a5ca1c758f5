package dev.cqrs.reliability.faults;

import java.util.OptionalLong;

/**
 * One fault as it was injected: what, where, and when it struck, ended and was recovered from. Times are
 * epoch millis. For a failover that lost commits (kind 8) it also holds the stretch of time in which a
 * commit could be lost: from the moment replication stopped being synchronous to the promotion.
 */
final class Injection {

    final int ordinal;
    final FaultKind kind;
    final String variant;
    String target = "";
    String detail = "";
    long startMillis;
    long healedMillis;
    long recoveredMillis;
    long restoredMillis;
    long lossFromMillis;
    long lossToMillis;

    Injection(int ordinal, FaultKind kind, String variant) {
        this.ordinal = ordinal;
        this.kind = kind;
        this.variant = variant;
    }

    /** Milliseconds from injection until the pipeline moved again on every partition; empty if it did not in time. */
    OptionalLong recoveryMillis() {
        return recoveredMillis == 0 ? OptionalLong.empty() : OptionalLong.of(recoveredMillis - startMillis);
    }

    /** Whether a commit acknowledged at {@code ackMillis} may have been lost by this injection. */
    boolean mayHaveLost(long ackMillis) {
        return kind == FaultKind.FAILOVER_WITH_LOSS && ackMillis >= lossFromMillis && ackMillis <= lossToMillis;
    }

    /** The stretch of time the fault's band covers on the timeline. */
    long bandFromMillis() {
        return lossFromMillis > 0 ? Math.min(lossFromMillis, startMillis) : startMillis;
    }

    String describe() {
        return "#" + ordinal + " kind " + kind.number + " (" + variant + (target.isEmpty() ? "" : ": " + target) + ")"
                + (detail.isEmpty() ? "" : ", " + detail);
    }
}
