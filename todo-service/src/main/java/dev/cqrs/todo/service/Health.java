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
 * by {@link #TIMEOUT}, so a hanging dependency makes the answer DOWN, not late.
 */
final class Health implements AutoCloseable {

    static final Duration TIMEOUT = Duration.ofSeconds(3);

    /** The answer of one check: UP or DOWN, and a short detail. */
    record Check(boolean up, String detail) {
        static Check up(String detail) {
            return new Check(true, detail);
        }

        static Check down(String detail) {
            return new Check(false, detail);
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
            checks.put(entry.getKey(), Map.of("status", check.up() ? "UP" : "DOWN", "detail", check.detail()));
        }
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("status", up ? "UP" : "DOWN");
        answer.put("roles", roles);
        answer.put("checks", checks);
        return answer;
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
