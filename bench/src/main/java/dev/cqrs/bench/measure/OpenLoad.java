package dev.cqrs.bench.measure;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * An open-loop load at a fixed rate: operation {@code k} is due at {@code start + k / rate}, whatever
 * the operations before it did, so a slow operation does not slow the offered load down (as it would
 * in a closed loop). {@code threads} threads take the operations in order and each sleeps until its
 * operation is due; when all are busy, an operation starts late, and that lateness is recorded.
 *
 * <p>An operation that throws stops the run and is rethrown.
 */
public final class OpenLoad {

    /** Operation {@code index}, due at {@code dueNanos} ({@link System#nanoTime()}). */
    @FunctionalInterface
    public interface Operation {
        void run(int index, long dueNanos) throws Exception;
    }

    /**
     * What a run did.
     *
     * @param operations   operations started (all of them finished)
     * @param elapsedNanos from the first operation's due time until the last one finished
     * @param rate         the offered rate, per second
     * @param lateness     how late each operation started after it was due
     */
    public record Result(int operations, long elapsedNanos, double rate, LatencySample lateness) {

        /** Operations per second that were actually done. */
        public double achievedPerSecond() {
            return operations * 1e9 / elapsedNanos;
        }

        /** Whether the load kept up with the offered rate (at least 95% of it was done in the time). */
        public boolean keptUp() {
            return achievedPerSecond() >= 0.95 * rate;
        }
    }

    private OpenLoad() {
    }

    /** The number of operations a run of {@code duration} at {@code rate} offers. */
    public static int operations(double rate, Duration duration) {
        return (int) Math.max(1, Math.round(rate * duration.toNanos() / 1e9));
    }

    public static Result run(String name, int threads, double rate, Duration duration, Operation operation) {
        if (threads < 1 || !(rate > 0)) {
            throw new IllegalArgumentException("at least one thread and a positive rate, got " + threads + " and " + rate);
        }
        int total = operations(rate, duration);
        double periodNanos = 1e9 / rate;
        AtomicLong next = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        long[] lateness = new long[total];
        long start = System.nanoTime() + 20_000_000; // the threads are all waiting when the first one is due
        List<Thread> workers = new ArrayList<>(threads);
        for (int t = 0; t < threads; t++) {
            workers.add(Thread.ofPlatform().name(name + "-" + t).start(() -> {
                try {
                    for (long k = next.getAndIncrement(); k < total && failure.get() == null; k = next.getAndIncrement()) {
                        long due = start + (long) (k * periodNanos);
                        for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) {
                            LockSupport.parkNanos(wait);
                        }
                        lateness[(int) k] = System.nanoTime() - due;
                        operation.run((int) k, due);
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }));
        }
        try {
            for (Thread worker : workers) {
                worker.join();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(name + " was interrupted", e);
        }
        long elapsed = System.nanoTime() - start;
        if (failure.get() != null) {
            throw new IllegalStateException(name + " failed: " + failure.get(), failure.get());
        }
        return new Result(total, elapsed, rate, LatencySample.of(lateness));
    }
}
