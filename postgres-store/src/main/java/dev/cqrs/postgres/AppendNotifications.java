package dev.cqrs.postgres;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wakes a reader of the global log when events are appended (PostgreSQL LISTEN/NOTIFY), so it need
 * not poll in a tight loop. A notification is a hint, never the data: a reader still reads the log,
 * and should still poll now and then, since a lost connection loses the notifications sent meanwhile
 * ({@link #await} returns {@code true} after reconnecting, for that reason).
 *
 * <p>Not thread-safe: one waiter per instance. Holds a connection of its own until closed.
 */
public final class AppendNotifications implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AppendNotifications.class);

    /** Opens a connection outside the pool: LISTEN is session state. */
    interface Sessions {
        Connection open() throws SQLException;
    }

    private final Sessions sessions;
    private final String channel;
    private Connection connection;
    private volatile boolean closed;

    AppendNotifications(Sessions sessions, String channel) {
        this.sessions = sessions;
        this.channel = channel;
    }

    /**
     * Waits until an append is notified or {@code timeout} passes.
     *
     * @return true when woken by a notification (or after a reconnect, when one may have been lost);
     *         false when the timeout passed quietly
     */
    public boolean await(Duration timeout) {
        if (closed) {
            throw new IllegalStateException("closed");
        }
        int millis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
        try {
            boolean reconnected = false;
            if (connection == null) {
                connect();
                reconnected = true;
            }
            PGNotification[] notifications = connection.unwrap(PGConnection.class).getNotifications(millis);
            return reconnected || notifications != null && notifications.length > 0;
        } catch (SQLException e) {
            log.warn("Lost the LISTEN connection for channel {} ({}); will reconnect", channel, e.getMessage());
            closeConnection();
            sleepQuietly(Math.min(millis, 1_000));
            return true;
        }
    }

    private void connect() throws SQLException {
        Connection fresh = sessions.open();
        try (Statement statement = fresh.createStatement()) {
            statement.execute("LISTEN " + channel);
        } catch (SQLException e) {
            fresh.close();
            throw e;
        }
        connection = fresh;
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void closeConnection() {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // the connection is gone either way
            }
            connection = null;
        }
    }

    @Override
    public void close() {
        closed = true;
        if (connection != null) {
            try (Statement statement = connection.createStatement()) {
                statement.execute("UNLISTEN " + channel);
            } catch (SQLException ignored) {
                // closing anyway
            }
        }
        closeConnection();
    }
}
