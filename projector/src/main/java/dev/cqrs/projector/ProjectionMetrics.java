package dev.cqrs.projector;

import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;

/** Counters of one running projection or reactor, shared by its tasks. */
final class ProjectionMetrics {

    private final AtomicLong processed = new AtomicLong();
    private final AtomicLong deadLettered = new AtomicLong();
    private final AtomicLong skipped = new AtomicLong();
    private final AtomicLong lastPosition = new AtomicLong();
    private volatile Instant lastProcessedAt;

    void processed(long position) {
        processed.incrementAndGet();
        lastPosition.accumulateAndGet(position, Math::max);
        lastProcessedAt = Instant.now();
    }

    void deadLettered() {
        deadLettered.incrementAndGet();
    }

    /** Records a write found already applied (a redelivery, or another writer's late flush) and left alone. */
    void skipped(long records) {
        skipped.addAndGet(records);
    }

    long skipped() {
        return skipped.get();
    }

    long processed() {
        return processed.get();
    }

    long deadLetteredCount() {
        return deadLettered.get();
    }

    long lastPosition() {
        return lastPosition.get();
    }

    Instant lastProcessedAt() {
        return lastProcessedAt;
    }
}
