package dev.cqrs.bench.measure;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Optional;

/**
 * CPU time spent so far by the two parties of a benchmark: this JVM (the client: our library or
 * the baseline's driver code, JIT and GC included) and the PostgreSQL server (the postmaster and all
 * its processes), when the server runs on this machine. Read before and after a run, it says where
 * an operation's time goes, which a throughput alone cannot.
 */
public final class CpuClock {

    /** CPU time in nanoseconds; {@code server} is negative when the server's processes are not visible. */
    public record Reading(long clientNanos, long serverNanos) {
    }

    private final Optional<ProcessHandle> postmaster;

    private CpuClock(Optional<ProcessHandle> postmaster) {
        this.postmaster = postmaster;
    }

    /**
     * @param postmaster the server's postmaster process, when it runs on this machine (found from a
     *                   backend's pid: the postmaster is its parent)
     */
    public static CpuClock of(Optional<ProcessHandle> postmaster) {
        return new CpuClock(postmaster);
    }

    public Reading read() {
        long client = ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
                ? os.getProcessCpuTime() : -1;
        return new Reading(client, postmaster.map(CpuClock::treeCpuNanos).orElse(-1L));
    }

    /**
     * CPU of a process and its live descendants. A backend that exits between two readings takes its
     * CPU with it: pooled connections keep theirs for the whole run.
     */
    private static long treeCpuNanos(ProcessHandle root) {
        long nanos = cpuNanos(root);
        for (ProcessHandle child : (Iterable<ProcessHandle>) root.descendants()::iterator) {
            nanos += cpuNanos(child);
        }
        return nanos;
    }

    private static long cpuNanos(ProcessHandle process) {
        return process.info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
    }
}
