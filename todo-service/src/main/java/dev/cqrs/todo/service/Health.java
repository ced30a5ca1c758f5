package dev.cqrs.todo.service;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * Liveness ({@code /health}: the process serves) and readiness ({@code /health/ready}: every
 * dependency of this process's roles answers). Readiness runs its checks in parallel, each bounded
 * by {@link #TIMEOUT}, so a hanging dependency makes the answer DOWN, not late. A check may also be
 * DEGRADED: it works, but something holds it back that an operator should see (readiness stays ready,
 * and says DEGRADED with the detail).
 */
final class Health implements AutoCloseable {

    static final Duration TIMEOUT = Duration.ofSeconds(3);

    /** What a check found. */
    enum Status { UP, DEGRADED, DOWN }

    /** The answer of one check: UP, DEGRADED or DOWN, and a short detail. */
    record Check(Status status, String detail) {
        static Check up(String detail) {
            return new Check(Status.UP, detail);
        }

        static Check degraded(String detail) {
            return new Check(Status.DEGRADED, detail);
        }

        static Check down(String detail) {
            return new Check(Status.DOWN, detail);
        }

        boolean up() {
            return status != Status.DOWN;
        }
    }

    /** A named check. */
    record Probe(String name, Supplier<Check> check) {
    }

    private final List<Probe> probes;
    private final List<String> roles;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();

    Health(List<String> roles, List<Probe> probes) {
        this.roles = List.copyOf(roles);
        this.probes = List.copyOf(probes);
    }

    /** Liveness: always UP while the process answers. */
    Map<String, Object> live() {
        return Map.of("status", "UP", "roles", roles);
    }

    /** Readiness, and whether it is UP. */
    Map<String, Object> ready() {
        Map<String, Future<Check>> running = new LinkedHashMap<>();
        for (Probe probe : probes) {
            running.put(probe.name(), executor.submit(() -> {
                try {
                    return probe.check().get();
                } catch (RuntimeException e) {
                    return Check.down(e.getClass().getSimpleName() + ": " + e.getMessage());
                }
            }));
        }
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        Map<String, Object> checks = new LinkedHashMap<>();
        boolean up = true;
        boolean degraded = false;
        for (Map.Entry<String, Future<Check>> entry : running.entrySet()) {
            Check check;
            try {
                check = entry.getValue().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                entry.getValue().cancel(true);
                check = Check.down("no answer within " + TIMEOUT.toSeconds() + " s");
            } catch (ExecutionException e) {
                check = Check.down(String.valueOf(e.getCause()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                check = Check.down("interrupted");
            }
            up &= check.up();
            degraded |= check.status() == Status.DEGRADED;
            checks.put(entry.getKey(), Map.of("status", check.status().name(), "detail", check.detail()));
        }
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("status", !up ? "DOWN" : degraded ? "DEGRADED" : "UP");
        answer.put("roles", roles);
        answer.put("checks", checks);
        return answer;
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
