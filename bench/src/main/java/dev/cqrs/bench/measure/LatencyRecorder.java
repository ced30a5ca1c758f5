package dev.cqrs.bench.measure;

import java.util.Arrays;

/** Collects the latencies of one thread; not thread-safe. Grows by doubling, so recording allocates rarely. */
public final class LatencyRecorder {

    private long[] nanos = new long[4_096];
    private int size;

    public void record(long latencyNanos) {
        if (size == nanos.length) {
            nanos = Arrays.copyOf(nanos, size * 2);
        }
        nanos[size++] = latencyNanos;
    }

    public int count() {
        return size;
    }

    public LatencySample toSample() {
        return LatencySample.of(Arrays.copyOf(nanos, size));
    }
}
