package dev.cqrs.postgres;

import com.zaxxer.hikari.HikariConfig;
import java.time.Duration;

/**
 * The settings every HikariCP pool of PostgreSQL connections starts from: where, who, how many, how long a
 * caller waits, and the application name that {@code pg_stat_activity} shows an operator. A pool adds what
 * is its own (read-only, keep-alive, start-up patience) to what this returns.
 */
public final class PostgresPools {

    private PostgresPools() {
    }

    /**
     * @param poolName        HikariCP's name of the pool, in its log lines and metrics
     * @param applicationName PostgreSQL's {@code application_name} of the pool's sessions
     */
    public static HikariConfig settings(String jdbcUrl, String user, String password, String poolName,
                                        String applicationName, int size, Duration connectionTimeout) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(jdbcUrl);
        config.setUsername(user);
        config.setPassword(password);
        config.setMaximumPoolSize(size);
        config.setPoolName(poolName);
        config.setConnectionTimeout(connectionTimeout.toMillis());
        config.addDataSourceProperty("ApplicationName", applicationName);
        return config;
    }
}
