package dev.cqrs.bench.measure;

import java.time.Duration;

/**
 * Where operations arrive downstream (a Kafka topic, a read model), noted when they become visible
 * there, each under a key of the operation's (its global position).
 */
public interface Arrivals {

    /**
     * When the operation with {@code key} became visible ({@link System#nanoTime()}), waiting for it up to
     * {@code deadlineNanos}; -1 when it did not.
     */
    long arrivedAt(long key, long deadlineNanos) throws InterruptedException;

    /**
     * The latency of each operation {@code k} from {@code startedAt[k]} until its key {@code keys[k]}
     * arrived, waiting for the last ones up to {@code timeout}.
     *
     * @throws IllegalStateException naming an operation that did not arrive in time
     */
    static LatencySample latencies(Arrivals arrivals, long[] keys, long[] startedAt, Duration timeout, String where)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long[] nanos = new long[keys.length];
        for (int k = 0; k < keys.length; k++) {
            long arrived = arrivals.arrivedAt(keys[k], deadline);
            if (arrived < 0) {
                throw new IllegalStateException("operation " + k + " (position " + keys[k] + ") did not reach " + where
                        + " within " + timeout.toSeconds() + " s");
            }
            // A watcher may stamp an arrival a hair before the writer stamped its return: that is no time.
            nanos[k] = Math.max(0, arrived - startedAt[k]);
        }
        return LatencySample.of(nanos);
    }
}
