package dev.cqrs.outbox;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** A relay's request to stop, and the waits it cuts short. */
final class StopSignal {

    private final CountDownLatch requested = new CountDownLatch(1);

    void request() {
        requested.countDown();
    }

    boolean requested() {
        return requested.getCount() == 0;
    }

    /** Waits for {@code duration}, or less when a stop is requested; an interrupt counts as a request. */
    void sleep(Duration duration) {
        try {
            requested.await(duration.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            request();
        }
    }
}
