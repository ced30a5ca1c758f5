package dev.cqrs.reliability.faults;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

/**
 * Looks at the deployment about once a second from outside, on connections of its own (never through the
 * fault proxies): the probe writes that show in the read model, how many events the store and the read
 * model hold, each process's metrics and (every other second) readiness, and the new lines of their logs.
 * Feeds the {@link Timeline}, the {@link PipelineProbe} and the {@link OperatorView}.
 */
final class Observer implements AutoCloseable {

    private final String jdbcUrl;
    private final String user;
    private final String password;
    private final String storeSchema;
    private final String view;
    private final CommandLedger ledger;
    private final PipelineProbe probe;
    private final OperatorView operator;
    private final Timeline timeline;
    private final long startMillis;
    private Connection connection;
    private volatile boolean running;
    private Thread thread;

    Observer(String jdbcUrl, String user, String password, String storeSchema, String view, CommandLedger ledger,
             PipelineProbe probe, OperatorView operator, Timeline timeline, long startMillis) {
        // Short timeouts: a look must not hang on a PostgreSQL that was just killed.
        this.jdbcUrl = jdbcUrl + "&connectTimeout=2&socketTimeout=5&loginTimeout=3";
        this.user = user;
        this.password = password;
        this.storeSchema = storeSchema;
        this.view = view;
        this.ledger = ledger;
        this.probe = probe;
        this.operator = operator;
        this.timeline = timeline;
        this.startMillis = startMillis;
    }

    void start() {
        running = true;
        thread = Thread.ofPlatform().name("observer").daemon().start(this::run);
    }

    private void run() {
        long tick = 0;
        while (running) {
            long began = System.currentTimeMillis();
            try {
                look(tick++ % 2 == 0);
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                // One failed look must not end the watch: the timeline shows the gap.
                FaultSuite.say("the observer could not look this second: " + e);
            }
            long next = began + 1_000 - System.currentTimeMillis();
            if (next > 0) {
                try {
                    Thread.sleep(next);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    private void look(boolean health) throws InterruptedException {
        long now = System.currentTimeMillis();
        long store = -1;
        long applied = -1;
        try {
            Connection c = connection();
            probe.look(c, view);
            try (Statement s = c.createStatement()) {
                s.setQueryTimeout(4);
                try (ResultSet rs = s.executeQuery("SELECT (SELECT count(*) FROM " + storeSchema + ".events),"
                        + " (SELECT coalesce(sum(version), 0) FROM " + view + ")")) {
                    rs.next();
                    store = rs.getLong(1);
                    applied = rs.getLong(2);
                }
            }
        } catch (SQLException e) {
            closeConnection();
        }
        int second = (int) ((now - startMillis) / 1000);
        timeline.add(new Timeline.Sample(now, ledger.acknowledgedInSecond(second - 1), store, applied,
                probe.stalenessMillis(now)));
        operator.lookAtMetrics();
        if (health) {
            operator.lookAtHealth();
        }
        operator.readLogs();
    }

    private Connection connection() throws SQLException {
        if (connection == null) {
            Properties properties = new Properties();
            properties.setProperty("user", user);
            properties.setProperty("password", password);
            properties.setProperty("ApplicationName", "cqrs-fault-suite-observer");
            connection = DriverManager.getConnection(jdbcUrl, properties);
        }
        return connection;
    }

    private void closeConnection() {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // gone anyway
            }
            connection = null;
        }
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        if (thread != null) {
            thread.interrupt();
            thread.join(10_000);
        }
        closeConnection();
    }
}
