package dev.cqrs.codec.registry;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Bounded exponential back-off with equal jitter: before retry {@code n} (1 for the first) the wait
 * is between half and all of {@code min(max, initial * 2^(n-1))}, so that clients that failed
 * together do not retry together.
 */
record Backoff(int maxAttempts, Duration initial, Duration max) {

    Duration beforeRetry(int retry, Optional<Duration> retryAfter) {
        long maxNanos = max.toNanos();
        long base = initial.toNanos() << Math.min(retry - 1, 30);
        if (base <= 0 || base > maxNanos) {
            base = maxNanos;
        }
        long half = base / 2;
        Duration delay = Duration.ofNanos(half + ThreadLocalRandom.current().nextLong(half + 1));
        if (retryAfter.isPresent() && retryAfter.get().compareTo(delay) > 0) {
            delay = retryAfter.get().compareTo(max) > 0 ? max : retryAfter.get();
        }
        return delay;
    }
}
