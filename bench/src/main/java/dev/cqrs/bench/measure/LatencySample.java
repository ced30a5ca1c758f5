package dev.cqrs.bench.measure;

import java.util.Arrays;

/**
 * Every latency of a run, in nanoseconds, sorted: exact percentiles, no bucketing. A run of a few
 * hundred thousand operations costs a few MiB, which a benchmark can afford.
 */
public final class LatencySample {

    private static final LatencySample EMPTY = new LatencySample(new long[0]);

    private final long[] sortedNanos;

    private LatencySample(long[] sortedNanos) {
        this.sortedNanos = sortedNanos;
    }

    /** A sample of these latencies, in any order; the array is copied. */
    public static LatencySample of(long... nanos) {
        long[] copy = nanos.clone();
        Arrays.sort(copy);
        return new LatencySample(copy);
    }

    public static LatencySample empty() {
        return EMPTY;
    }

    /** This sample and the others, as one. */
    public LatencySample merge(LatencySample... others) {
        int size = sortedNanos.length;
        for (LatencySample other : others) {
            size += other.sortedNanos.length;
        }
        long[] all = Arrays.copyOf(sortedNanos, size);
        int at = sortedNanos.length;
        for (LatencySample other : others) {
            System.arraycopy(other.sortedNanos, 0, all, at, other.sortedNanos.length);
            at += other.sortedNanos.length;
        }
        Arrays.sort(all);
        return new LatencySample(all);
    }

    public int count() {
        return sortedNanos.length;
    }

    /**
     * The latency at or below which {@code percentile} percent of the operations finished, by the
     * nearest-rank method: the smallest value with at least that share of the sample at or below it.
     * {@code 0} gives the minimum and {@code 100} the maximum.
     *
     * @throws IllegalStateException    when the sample is empty
     * @throws IllegalArgumentException when {@code percentile} is outside [0, 100]
     */
    public long percentileNanos(double percentile) {
        if (percentile < 0 || percentile > 100 || Double.isNaN(percentile)) {
            throw new IllegalArgumentException("a percentile is between 0 and 100, got " + percentile);
        }
        if (sortedNanos.length == 0) {
            throw new IllegalStateException("no latencies recorded");
        }
        // The epsilon keeps binary rounding (99.9 / 100 * 1000 = 999.0000000000001) from moving a rank up.
        int rank = (int) Math.ceil(percentile / 100 * sortedNanos.length - 1e-9);
        return sortedNanos[Math.max(0, Math.min(sortedNanos.length, rank) - 1)];
    }

    public long maxNanos() {
        return percentileNanos(100);
    }

    public double meanNanos() {
        if (sortedNanos.length == 0) {
            throw new IllegalStateException("no latencies recorded");
        }
        double sum = 0;
        for (long nanos : sortedNanos) {
            sum += nanos;
        }
        return sum / sortedNanos.length;
    }
}
