package dev.cqrs.bench.measure;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A closed-loop load: {@code clients} threads, each issuing its next operation as soon as the last
 * one returned, until a deadline. Every operation's latency is recorded; the throughput is the
 * operations completed over the time from the common start until the last client stopped.
 *
 * <p>An operation that throws stops the whole run and is rethrown: a benchmark whose operations
 * fail measures nothing worth printing.
 */
public final class ClosedLoad {

    /** One operation of one client. {@code index} counts that client's operations from 0. */
    @FunctionalInterface
    public interface Operation {
        void run(int client, long index) throws Exception;
    }

    /** What a run did: how many operations in how long, and how long each took. */
    public record Result(long operations, long elapsedNanos, LatencySample latencies) {

        public double operationsPerSecond() {
            return operations * 1e9 / elapsedNanos;
        }
    }

    private ClosedLoad() {
    }

    public static Result run(String name, int clients, Duration duration, Operation operation) {
        if (clients < 1) {
            throw new IllegalArgumentException("at least one client, got " + clients);
        }
        LatencyRecorder[] recorders = new LatencyRecorder[clients];
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch ready = new CountDownLatch(clients);
        CountDownLatch go = new CountDownLatch(1);
        long[] start = new long[1];
        long durationNanos = duration.toNanos();
        List<Thread> threads = new ArrayList<>(clients);
        for (int c = 0; c < clients; c++) {
            int client = c;
            LatencyRecorder recorder = recorders[c] = new LatencyRecorder();
            threads.add(Thread.ofPlatform().name(name + "-client-" + c).start(() -> {
                ready.countDown();
                try {
                    go.await();
                    long deadline = start[0] + durationNanos;
                    long index = 0;
                    long before = System.nanoTime();
                    while (before < deadline && failure.get() == null) {
                        operation.run(client, index++);
                        long after = System.nanoTime();
                        recorder.record(after - before);
                        before = after;
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }));
        }
        try {
            ready.await();
            start[0] = System.nanoTime();
            go.countDown();
            for (Thread thread : threads) {
                thread.join();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(name + " was interrupted", e);
        }
        long elapsed = System.nanoTime() - start[0];
        if (failure.get() != null) {
            throw new IllegalStateException(name + " failed: " + failure.get(), failure.get());
        }
        LatencySample all = recorders[0].toSample();
        LatencySample[] rest = new LatencySample[clients - 1];
        for (int c = 1; c < clients; c++) {
            rest[c - 1] = recorders[c].toSample();
        }
        all = all.merge(rest);
        return new Result(all.count(), elapsed, all);
    }
}
