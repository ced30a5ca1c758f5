package dev.cqrs.bench.workload;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.cqrs.embedded.postgres.TestDatabase;
import java.util.Map;

/** Connection pools for the baselines, set up as our store sets up its own (HikariCP, 10 connections). */
public final class Pools {

    /** The size of our store's pool by default, and so of every baseline's. */
    public static final int SIZE = 10;

    private Pools() {
    }

    public static HikariDataSource hikari(TestDatabase database, String name, boolean autoCommit) {
        return hikari(database, name, autoCommit, Map.of());
    }

    /** With driver properties of its own, e.g. {@code reWriteBatchedInserts}. */
    public static HikariDataSource hikari(TestDatabase database, String name, boolean autoCommit,
                                          Map<String, String> driverProperties) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(database.jdbcUrl());
        config.setUsername(database.user());
        config.setPassword(database.password());
        config.setMaximumPoolSize(SIZE);
        config.setPoolName(name);
        config.setAutoCommit(autoCommit);
        config.addDataSourceProperty("ApplicationName", name);
        config.addDataSourceProperty("tcpKeepAlive", "true");
        driverProperties.forEach(config::addDataSourceProperty);
        return new HikariDataSource(config);
    }
}
