package dev.cqrs.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cqrs.core.CommandMetadata;
import dev.cqrs.core.EventStore;
import dev.cqrs.core.Precondition;
import dev.cqrs.core.PreconditionFailedException;
import dev.cqrs.core.contract.ContractCodecs;
import dev.cqrs.core.contract.ContractEvent;
import dev.cqrs.core.contract.ContractEvent.Incremented;
import dev.cqrs.embedded.postgres.TestDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * LISTEN/NOTIFY wake-ups: an append that commits wakes a listener; nothing else does (a quiet store, a refused
 * append, an idempotency key answered again); and a burst of appends costs at most one NOTIFY a millisecond.
 * The store has a database of its own here, so no other test's appends are heard.
 */
class AppendNotificationsTest {

    private static final TestDatabase db = TestStores.database("notify");
    private static final PostgresEventStore store = TestStores.store(db);
    private static final String CHANNEL = store.schema() + "_events_appended";
    private final String type = "t" + UUID.randomUUID().toString().substring(0, 8);
    private final EventStore<ContractEvent> events = store.events(type, ContractCodecs.events());

    @AfterAll
    static void close() {
        store.close();
    }

    @Test
    void aListenerIsWokenByAnAppendAndNotOtherwise() throws Exception {
        String id = "a-" + UUID.randomUUID();
        String key = "k-" + UUID.randomUUID();
        events.append(id, List.of(new Incremented(1)), Optional.empty(), CommandMetadata.create().withIdempotencyKey(key));
        try (AppendNotifications notifications = store.listenForAppends()) {
            assertThat(notifications.await(Duration.ofMillis(10))).as("connecting counts as a wake-up").isTrue();
            drain(notifications);

            assertThat(notifications.await(Duration.ofMillis(300))).as("woken with nothing appended").isFalse();

            assertThatThrownBy(() -> events.append(id, List.of(new Incremented(2)), Optional.of(Precondition.isNew()),
                    CommandMetadata.create())).isInstanceOf(PreconditionFailedException.class);
            assertThat(notifications.await(Duration.ofMillis(300))).as("woken by an append that was refused").isFalse();

            assertThat(events.append(id, List.of(new Incremented(1)), Optional.empty(),
                    CommandMetadata.create().withIdempotencyKey(key)).replayed()).isTrue();
            assertThat(notifications.await(Duration.ofMillis(300))).as("woken by a key answered again, which wrote nothing")
                    .isFalse();

            events.append(id, List.of(new Incremented(3)), Optional.empty(), CommandMetadata.create());
            assertThat(notifications.await(Duration.ofSeconds(10))).as("woken by an append that committed").isTrue();
        }
    }

    /**
     * Eight writers append 2,000 one-event commands as fast as they can while a session LISTENs and counts what it
     * hears. Notifications are spaced at least a millisecond apart where they are sent, so from the first append to
     * the last notification heard, at most one per millisecond (plus the first) can have been sent. At least one
     * must have been.
     */
    @Test
    void aBurstOfAppendsCostsAtMostOneNotifyAMillisecond() throws Exception {
        int writers = 8;
        int perWriter = 250;
        AtomicLong notifications = new AtomicLong();
        AtomicLong lastHeardNanos = new AtomicLong();
        AtomicBoolean listening = new AtomicBoolean(true);
        CountDownLatch subscribed = new CountDownLatch(1);
        List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        Thread listener = Thread.ofPlatform().name("notify-counter").start(() -> {
            try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password())) {
                try (Statement s = c.createStatement()) {
                    s.execute("LISTEN " + CHANNEL);
                }
                subscribed.countDown();
                PGConnection pg = c.unwrap(PGConnection.class);
                while (listening.get()) {
                    PGNotification[] heard = pg.getNotifications(50);
                    if (heard != null && heard.length > 0) {
                        notifications.addAndGet(heard.length);
                        lastHeardNanos.set(System.nanoTime());
                    }
                }
            } catch (Throwable e) {
                failures.add(e);
            }
        });
        try {
            assertThat(subscribed.await(10, TimeUnit.SECONDS)).as("the listener subscribed").isTrue();
            CountDownLatch start = new CountDownLatch(1);
            ExecutorService pool = Executors.newFixedThreadPool(writers);
            long burstStart;
            long burstEnd;
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int w = 0; w < writers; w++) {
                    done.add(pool.submit(() -> {
                        start.await();
                        for (int i = 0; i < perWriter; i++) {
                            events.append("burst-" + UUID.randomUUID(), List.of(new Incremented(i)), Optional.empty(),
                                    CommandMetadata.create());
                        }
                        return null;
                    }));
                }
                burstStart = System.nanoTime();
                start.countDown();
                for (Future<?> f : done) {
                    f.get(2, TimeUnit.MINUTES);
                }
                burstEnd = System.nanoTime();
            } finally {
                pool.shutdownNow();
            }
            // Quiet for 200 ms: every notification of the burst has been heard.
            Backends.await(() -> System.nanoTime() - lastHeardNanos.get() > 200_000_000L, Duration.ofSeconds(10),
                    "the notifications to stop");
            long heard = notifications.get();
            double windowMillis = (lastHeardNanos.get() - burstStart) / 1e6;
            System.out.printf("notify: %d appends in %.0f ms, %d notifications heard over %.0f ms%n", writers * perWriter,
                    (burstEnd - burstStart) / 1e6, heard, windowMillis);
            assertThat(failures).isEmpty();
            assertThat(heard).as("notifications heard").isPositive()
                    .isLessThanOrEqualTo((long) Math.floor(windowMillis) + 1);
        } finally {
            listening.set(false);
            listener.join(Duration.ofSeconds(5));
        }
        assertThat(listener.isAlive()).as("the listener stopped").isFalse();
    }

    /** Takes what earlier appends left queued; bounded, in case something keeps notifying. */
    private static void drain(AppendNotifications notifications) {
        for (int i = 0; i < 50 && notifications.await(Duration.ofMillis(200)); i++) {
            // an earlier append's notification
        }
    }
}
