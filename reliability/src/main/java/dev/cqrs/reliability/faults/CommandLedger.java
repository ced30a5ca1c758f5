package dev.cqrs.reliability.faults;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * Every command the fault suite sent and what became of it, kept so that the suite can account for each
 * acknowledged command at the end (issue 18 item 8: its to-do, version and position must be in the store)
 * and count outcomes per second, so that a fault's window can be summed.
 *
 * <p>Outcomes: <b>acknowledged</b> (the service answered with the to-do), <b>rejected</b> (the service
 * answered with a domain error: a conflict, a validation error, a to-do that does not exist),
 * <b>failed</b> (no answer but "unavailable" for as long as a client waits), and <b>retried</b> (a send
 * repeated with the same idempotency key after an unavailable answer; one command may be retried often).
 */
final class CommandLedger {

    /** Seconds of history kept per outcome; a run is shorter. */
    private static final int SECONDS = 4 * 3600;

    /**
     * A command the service acknowledged.
     *
     * @param key           its idempotency key
     * @param todoId        the to-do it was for
     * @param version       the to-do's version in the answer
     * @param position      the position of the last event it wrote (or, replayed, that its first run wrote);
     *                      empty when it wrote nothing
     * @param eventsWritten how many events it wrote
     * @param replayed      answered from its idempotency key: an earlier send of it had been applied
     * @param ackMillis     when the answer came (epoch millis)
     * @param api           the api process that answered
     */
    record Acknowledged(String key, String todoId, long version, OptionalLong position, int eventsWritten, boolean replayed,
                        long ackMillis, String api) {
    }

    enum Outcome { ACKNOWLEDGED, REJECTED, FAILED, RETRIED }

    private final long startMillis;
    private final Map<Outcome, AtomicLongArray> perSecond = new ConcurrentHashMap<>();
    private final Map<Outcome, LongAdder> totals = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> rejections = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<Acknowledged> acknowledged = new ConcurrentLinkedQueue<>();
    private final LongAdder replayed = new LongAdder();

    CommandLedger(long startMillis) {
        this.startMillis = startMillis;
        for (Outcome outcome : Outcome.values()) {
            perSecond.put(outcome, new AtomicLongArray(SECONDS));
            totals.put(outcome, new LongAdder());
        }
    }

    void acknowledged(Acknowledged ack) {
        acknowledged.add(ack);
        if (ack.replayed()) {
            replayed.increment();
        }
        count(Outcome.ACKNOWLEDGED, ack.ackMillis());
    }

    void rejected(String code, long atMillis) {
        rejections.computeIfAbsent(code, c -> new LongAdder()).increment();
        count(Outcome.REJECTED, atMillis);
    }

    void failed(long atMillis) {
        count(Outcome.FAILED, atMillis);
    }

    void retried(long atMillis) {
        count(Outcome.RETRIED, atMillis);
    }

    private void count(Outcome outcome, long atMillis) {
        totals.get(outcome).increment();
        int second = second(atMillis);
        if (second >= 0 && second < SECONDS) {
            perSecond.get(outcome).incrementAndGet(second);
        }
    }

    private int second(long millis) {
        return (int) ((millis - startMillis) / 1000);
    }

    long total(Outcome outcome) {
        return totals.get(outcome).sum();
    }

    /** Outcomes from {@code fromMillis} to {@code toMillis}, to the second. */
    long between(Outcome outcome, long fromMillis, long toMillis) {
        AtomicLongArray counts = perSecond.get(outcome);
        long sum = 0;
        for (int s = Math.max(0, second(fromMillis)); s <= Math.min(SECONDS - 1, second(toMillis)); s++) {
            sum += counts.get(s);
        }
        return sum;
    }

    /** Commands acknowledged in the second that starts {@code second} seconds after the start. */
    long acknowledgedInSecond(int second) {
        return second >= 0 && second < SECONDS ? perSecond.get(Outcome.ACKNOWLEDGED).get(second) : 0;
    }

    long replayed() {
        return replayed.sum();
    }

    /** Rejections by error code. */
    Map<String, Long> rejections() {
        Map<String, Long> counts = new TreeMap<>();
        rejections.forEach((code, count) -> counts.put(code, count.sum()));
        return counts;
    }

    /** Every acknowledged command, in the order the answers came. */
    List<Acknowledged> acknowledgedCommands() {
        return new ArrayList<>(acknowledged);
    }

    long sent() {
        return total(Outcome.ACKNOWLEDGED) + total(Outcome.REJECTED) + total(Outcome.FAILED);
    }
}
