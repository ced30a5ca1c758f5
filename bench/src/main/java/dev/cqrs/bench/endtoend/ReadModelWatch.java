package dev.cqrs.bench.endtoend;

import dev.cqrs.bench.measure.Arrivals;
import dev.cqrs.embedded.postgres.TestDatabase;
import java.sql.Array;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.postgresql.PGConnection;

/**
 * Notes when a command's change shows in the read model, as a reader of the view would see it: the
 * meter's row carries a position at or past the command's. It reads the rows of the commands still
 * waiting each time the projector announces a flush (the projector's NOTIFY on {@code cqrs_projected},
 * sent in the flushing transaction), and every 10 ms in any case. The arrival time is taken before
 * the query, whose snapshot is at least that recent.
 */
final class ReadModelWatch implements Arrivals, AutoCloseable {

    private record Waiting(String meter, long position) {
    }

    private final TestDatabase database;
    private final String view;
    private final ConcurrentLinkedQueue<Waiting> waiting = new ConcurrentLinkedQueue<>();
    private final Map<Long, Long> arrivedAt = new ConcurrentHashMap<>();
    private final Thread thread;
    private volatile boolean closed;
    private volatile Exception failure;

    /** Watches {@code view} (e.g. {@code read.meter_totals}) in {@code database}. */
    ReadModelWatch(TestDatabase database, String view) {
        this.database = database;
        this.view = view;
        this.thread = Thread.ofPlatform().name("bench-read-model-watch").start(this::watch);
    }

    /** Starts waiting for the command that wrote {@code position} to meter {@code meter}. */
    void expect(String meter, long position) {
        waiting.add(new Waiting(meter, position));
    }

    private void watch() {
        try (Connection connection = DriverManager.getConnection(database.jdbcUrl(), database.user(), database.password());
             Statement listen = connection.createStatement();
             PreparedStatement rows = connection.prepareStatement("SELECT id, position FROM " + view + " WHERE id = ANY (?)")) {
            listen.execute("LISTEN cqrs_projected");
            PGConnection pg = connection.unwrap(PGConnection.class);
            while (!closed) {
                pg.getNotifications(10);
                if (waiting.isEmpty()) {
                    continue;
                }
                long now = System.nanoTime();
                Map<String, Long> positions = new HashMap<>();
                Array ids = connection.createArrayOf("text", waiting.stream().map(Waiting::meter).distinct().toArray());
                rows.setArray(1, ids);
                try (ResultSet rs = rows.executeQuery()) {
                    while (rs.next()) {
                        positions.put(rs.getString(1), rs.getLong(2));
                    }
                }
                for (Iterator<Waiting> it = waiting.iterator(); it.hasNext(); ) {
                    Waiting w = it.next();
                    Long at = positions.get(w.meter());
                    if (at != null && at >= w.position()) {
                        arrivedAt.putIfAbsent(w.position(), now);
                        it.remove();
                    }
                }
            }
        } catch (SQLException e) {
            if (!closed) {
                failure = e;
            }
        }
    }

    @Override
    public long arrivedAt(long position, long deadlineNanos) throws InterruptedException {
        while (true) {
            Long at = arrivedAt.get(position);
            if (at != null) {
                return at;
            }
            if (failure != null) {
                throw new IllegalStateException("watching the read model failed: " + failure, failure);
            }
            if (System.nanoTime() > deadlineNanos) {
                return -1;
            }
            Thread.sleep(1);
        }
    }

    /** Forgets what it waited for (after a round that failed). */
    void clear() {
        waiting.clear();
    }

    @Override
    public void close() throws InterruptedException {
        closed = true;
        thread.join(5_000);
    }
}
