package dev.cqrs.outbox;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;

/**
 * Leadership among the relays of one store: a PostgreSQL session-level advisory lock, held on a
 * connection of its own for as long as this relay leads. When the leader's process dies, PostgreSQL
 * sees its connection close and releases the lock; a standby's next try takes it.
 *
 * <p>The lock keeps relays from working against each other, but correctness does not rest on it: a
 * leader that lost its lock without noticing (a zombie) is fenced by Kafka as soon as the new leader
 * initialises its transactions with the same transactional id.
 */
final class LeaderLock implements AutoCloseable {

    interface Sessions {
        Connection open() throws SQLException;
    }

    private final Connection connection;
    private final long key;

    private LeaderLock(Connection connection, long key) {
        this.connection = connection;
        this.key = key;
    }

    /** The advisory lock key of a relay group on a store schema. */
    static long keyOf(String schema, String relayName) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(("cqrs-relay:" + schema + ":" + relayName).getBytes(StandardCharsets.UTF_8));
            long key = 0;
            for (int i = 0; i < 8; i++) {
                key = (key << 8) | (digest[i] & 0xff);
            }
            return key;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Takes the lock if no one holds it. */
    static Optional<LeaderLock> tryAcquire(Sessions sessions, long key) throws SQLException {
        Connection connection = sessions.open();
        try (PreparedStatement ps = connection.prepareStatement("SELECT pg_try_advisory_lock(?)")) {
            ps.setLong(1, key);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (rs.getBoolean(1)) {
                    return Optional.of(new LeaderLock(connection, key));
                }
            }
        } catch (SQLException e) {
            connection.close();
            throw e;
        }
        connection.close();
        return Optional.empty();
    }

    /** Whether the session that holds the lock is still alive (a round trip). */
    boolean isHeld() {
        try {
            return connection.isValid(2);
        } catch (SQLException e) {
            return false;
        }
    }

    /** Drops the session without unlocking, as a crash would; PostgreSQL releases the lock. */
    void abandon() {
        try {
            connection.close();
        } catch (SQLException ignored) {
            // gone either way
        }
    }

    @Override
    public void close() {
        try (PreparedStatement ps = connection.prepareStatement("SELECT pg_advisory_unlock(?)")) {
            ps.setLong(1, key);
            ps.execute();
        } catch (SQLException ignored) {
            // closing the session below releases it anyway
        }
        abandon();
    }
}
