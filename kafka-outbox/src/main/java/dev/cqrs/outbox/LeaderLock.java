package dev.cqrs.outbox;

import dev.cqrs.core.Sha256;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Optional;

/**
 * Leadership among the relays of one store: a PostgreSQL session-level advisory lock, held on a
 * connection of its own for as long as this relay leads. When the leader's process dies, PostgreSQL
 * sees its connection close and releases the lock; a standby's next try takes it.
 *
 * <p>The lock is a lease. Its session asks the server to end it when it has been silent for the lease
 * ({@code idle_session_timeout}), and to probe its TCP connection as often ({@code tcp_keepalives_*},
 * {@code tcp_user_timeout}); a thread of the lock speaks on it four times per lease. So a leader whose
 * process pauses (a long GC, SIGSTOP, a frozen VM) or whose host vanishes loses the lock within about one
 * lease, and a standby takes over; without it, the server would hold the lock for as long as the kernel
 * keeps the idle connection (hours).
 *
 * <p>The lock keeps relays from working against each other, but correctness does not rest on it: a
 * leader that lost its lock without noticing (a zombie, back from a pause) is fenced by Kafka as soon as
 * the new leader initialises its transactions with the same transactional id.
 */
final class LeaderLock implements AutoCloseable {

    interface Sessions {
        Connection open() throws SQLException;
    }

    private final Connection connection;
    private final long key;
    private final Thread keepAlive;
    private volatile boolean lost;

    private LeaderLock(Connection connection, long key, Duration lease) {
        this.connection = connection;
        this.key = key;
        long every = Math.max(100, lease.toMillis() / 4);
        this.keepAlive = Thread.ofPlatform().daemon().name("cqrs-relay-lease").start(() -> {
            while (!lost) {
                try {
                    Thread.sleep(every);
                } catch (InterruptedException e) {
                    return;
                }
                if (!isHeld()) {
                    return;
                }
            }
        });
    }

    /** The advisory lock key of a relay group on a store schema. */
    static long keyOf(String schema, String relayName) {
        byte[] digest = Sha256.of("cqrs-relay:" + schema + ":" + relayName);
        long key = 0;
        for (int i = 0; i < 8; i++) {
            key = (key << 8) | (digest[i] & 0xff);
        }
        return key;
    }

    /** Takes the lock if no one holds it, as a lease of {@code lease}. */
    static Optional<LeaderLock> tryAcquire(Sessions sessions, long key, Duration lease) throws SQLException {
        Connection connection = sessions.open();
        try (Statement settings = connection.createStatement();
             PreparedStatement ps = connection.prepareStatement("SELECT pg_try_advisory_lock(?)")) {
            long seconds = Math.max(1, lease.toSeconds() / 3);
            settings.execute("SET idle_session_timeout = " + lease.toMillis());
            settings.execute("SET tcp_keepalives_idle = " + seconds);
            settings.execute("SET tcp_keepalives_interval = " + seconds);
            settings.execute("SET tcp_keepalives_count = 3");
            settings.execute("SET tcp_user_timeout = " + lease.toMillis());
            ps.setLong(1, key);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (rs.getBoolean(1)) {
                    return Optional.of(new LeaderLock(connection, key, lease));
                }
            }
        } catch (SQLException e) {
            connection.close();
            throw e;
        }
        connection.close();
        return Optional.empty();
    }

    /** Whether the session that holds the lock is still alive (a round trip, which also renews the lease). */
    synchronized boolean isHeld() {
        if (lost) {
            return false;
        }
        try (Statement ping = connection.createStatement()) {
            ping.setQueryTimeout(2);
            ping.execute("SELECT 1");
            return true;
        } catch (SQLException e) {
            lost = true;
            return false;
        }
    }

    /** Drops the session without unlocking, as a crash would; PostgreSQL releases the lock. */
    void abandon() {
        lost = true;
        keepAlive.interrupt();
        try {
            connection.close();
        } catch (SQLException ignored) {
            // gone either way
        }
    }

    @Override
    public synchronized void close() {
        try (PreparedStatement ps = connection.prepareStatement("SELECT pg_advisory_unlock(?)")) {
            ps.setLong(1, key);
            ps.execute();
        } catch (SQLException ignored) {
            // closing the session below releases it anyway
        }
        abandon();
    }
}
