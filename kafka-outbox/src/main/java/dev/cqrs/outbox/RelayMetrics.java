package dev.cqrs.outbox;

import dev.cqrs.postgres.GlobalLog;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a relay has done and the failures it met, as its status and its log show them: written by the
 * relay's thread, read by any. The published position is also where the relay reads the global log from,
 * the one figure the publishing loop depends on.
 */
final class RelayMetrics {

    private static final Logger log = LoggerFactory.getLogger(Relay.class);

    /** The relay group's name, in every log line. */
    private final String name;

    private final AtomicLong publishedPosition = new AtomicLong();
    private final AtomicLong eventsPublished = new AtomicLong();
    private final AtomicLong transactionsCommitted = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private final RateMeter rate = new RateMeter();
    private volatile int lastBatchSize;
    private volatile int largestBatchSize;
    private volatile String lastError;
    private volatile Instant lastPublishedAt;
    /** Why the relay refuses to publish, while it does. */
    private volatile String refusal;
    /** What holds the global log back, once it has for longer than the warning threshold. */
    private volatile GlobalLog.HoldUp heldBackBy;

    RelayMetrics(String name) {
        this.name = name;
    }

    /** The last global position known to be published: read from the checkpoint, then advanced by commits. */
    long publishedPosition() {
        return publishedPosition.get();
    }

    void resumedAt(long position) {
        publishedPosition.set(position);
        refusal = null;
    }

    /** A transaction of {@code events} events up to {@code last} committed. */
    void committed(int events, long last) {
        publishedPosition.set(last);
        eventsPublished.addAndGet(events);
        transactionsCommitted.incrementAndGet();
        lastBatchSize = events;
        largestBatchSize = Math.max(largestBatchSize, events);
        lastPublishedAt = Instant.now();
        rate.record(events);
    }

    /** A failure the relay recovers from: counted, shown as the last error, logged as a warning. */
    void failed(String what, Throwable e) {
        errors.incrementAndGet();
        lastError = what + (e == null ? "" : ": " + describe(e));
        log.warn("Relay {}: {}", name, lastError);
        log.debug("Relay {} failure", name, e);
    }

    /** The relay refuses to publish, saying why: counted, shown, logged as an error once per reason. */
    void refused(String why) {
        errors.incrementAndGet();
        if (!why.equals(refusal)) {
            log.error("Relay {} refuses to publish: {}", name, why);
        }
        refusal = why;
        lastError = why;
    }

    boolean refusing() {
        return refusal != null;
    }

    /** Sets what holds the global log back (null: nothing for long); returns what did before. */
    GlobalLog.HoldUp heldBackBy(GlobalLog.HoldUp now) {
        GlobalLog.HoldUp previous = heldBackBy;
        heldBackBy = now;
        return previous;
    }

    RelayStatus status(RelayStatus.Role role) {
        RelayStatus.Role now = refusal != null && role != RelayStatus.Role.STOPPED ? RelayStatus.Role.REFUSED : role;
        return new RelayStatus(now, publishedPosition.get(), eventsPublished.get(), transactionsCommitted.get(),
                lastBatchSize, largestBatchSize, rate.perSecond(), errors.get(),
                Optional.ofNullable(refusal != null ? refusal : lastError), Optional.ofNullable(lastPublishedAt),
                Optional.ofNullable(heldBackBy));
    }

    /** A failure's message with the chain of its causes, for a log line an operator reads. */
    static String describe(Throwable e) {
        StringBuilder text = new StringBuilder(String.valueOf(e.getMessage()));
        for (Throwable cause = e.getCause(); cause != null && cause != cause.getCause(); cause = cause.getCause()) {
            text.append(" (caused by ").append(cause.getClass().getSimpleName()).append(": ").append(cause.getMessage()).append(')');
        }
        return text.toString();
    }

    /** Events per second over the last ten seconds. */
    static final class RateMeter {
        private final long[] counts = new long[10];
        private final long[] seconds = new long[10];

        synchronized void record(int events) {
            long second = System.nanoTime() / 1_000_000_000L;
            int slot = (int) (second % counts.length);
            if (seconds[slot] != second) {
                seconds[slot] = second;
                counts[slot] = 0;
            }
            counts[slot] += events;
        }

        synchronized double perSecond() {
            long now = System.nanoTime() / 1_000_000_000L;
            long total = 0;
            for (int i = 0; i < counts.length; i++) {
                if (now - seconds[i] < counts.length) {
                    total += counts[i];
                }
            }
            return total / (double) counts.length;
        }
    }
}
