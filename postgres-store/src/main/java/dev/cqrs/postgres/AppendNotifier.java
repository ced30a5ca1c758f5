package dev.cqrs.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sending side of {@link AppendNotifications}: tells listeners that appends committed, debounced.
 *
 * <p>Notifications are sent after the commit, never inside the appending transaction: a NOTIFY makes its
 * transaction take a database-wide lock from before its commit record until the end, WAL flush included,
 * so appends that notify commit one at a time and lose group commit ({@code ./cqrs bench}: one-event
 * commands from 8 clients ran at well under half the rate). Each one is sent in a transaction of its own
 * with {@code synchronous_commit} off, at most one per millisecond, covering every append that committed
 * before it started: busy writers cost the server a few hundred small transactions a second, not one per
 * append, and a reader still wakes within about a millisecond. The appending thread never waits for it.
 */
final class AppendNotifier {

    private static final Logger log = LoggerFactory.getLogger(AppendNotifier.class);

    /** The shortest time between two notifications: 1 ms. */
    private static final long INTERVAL_NANOS = 1_000_000;

    private final DataSource pool;
    private final String channel;
    /** Appends committed since the last notification started. */
    private final AtomicLong unnotified = new AtomicLong();
    private final AtomicBoolean notifying = new AtomicBoolean();

    AppendNotifier(DataSource pool, String channel) {
        this.pool = pool;
        this.channel = channel;
    }

    /** An append committed: a notification that starts after now will announce it. */
    void committed() {
        unnotified.incrementAndGet();
        if (notifying.compareAndSet(false, true)) {
            Thread.ofVirtual().name("cqrs-append-notifier").start(this::drain);
        }
    }

    /** Sends notifications while appends keep committing, then ends; the next append starts another. */
    private void drain() {
        try {
            while (true) {
                unnotified.set(0); // every append counted so far has committed: the NOTIFY below covers them
                long started = System.nanoTime();
                send();
                long rest = INTERVAL_NANOS - (System.nanoTime() - started);
                if (rest > 0) {
                    LockSupport.parkNanos(rest);
                }
                if (unnotified.get() == 0) {
                    notifying.set(false);
                    // An append that counted itself after the check above and saw `notifying` still set
                    // would go unannounced: take the job back if so.
                    if (unnotified.get() == 0 || !notifying.compareAndSet(false, true)) {
                        return;
                    }
                }
            }
        } catch (RuntimeException e) {
            notifying.set(false);
            throw e;
        }
    }

    private void send() {
        try (Connection connection = pool.getConnection();
             PreparedStatement ps = connection.prepareStatement("SELECT set_config('synchronous_commit', 'off', true), pg_notify(?, '')")) {
            ps.setString(1, channel);
            ps.execute();
        } catch (SQLException e) {
            // The events are committed; readers of the log poll now and then, so a lost hint only delays them.
            log.warn("Could not notify listeners on channel {} of an append: {}", channel, SqlFailures.describe(e));
        }
    }
}
