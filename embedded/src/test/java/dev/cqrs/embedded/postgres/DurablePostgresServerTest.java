package dev.cqrs.embedded.postgres;

import static dev.cqrs.embedded.postgres.PostgresServerTest.execute;
import static dev.cqrs.embedded.postgres.PostgresServerTest.queryString;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A durable server of its own, since these tests stop, kill and restart it. */
class DurablePostgresServerTest {

    private static PostgresServer server;

    @BeforeAll
    static void startDurableServer() {
        server = PostgresServer.start(PostgresOptions.temporaryDurable());
    }

    @AfterAll
    static void stopServer() {
        server.stop();
    }

    @Test
    void fsyncAndSynchronousCommitAreOnWhenDurable() throws SQLException {
        DataSource database = server.createDatabase("durable_settings").dataSource();

        assertThat(queryString(database, "show fsync")).isEqualTo("on");
        assertThat(queryString(database, "show synchronous_commit")).isEqualTo("on");
        assertThat(queryString(database, "show full_page_writes")).isEqualTo("on");
    }

    @Test
    void committedRowSurvivesServerRestartWhenDurable() throws SQLException {
        TestDatabase database = server.createDatabase("restart");
        execute(database.dataSource(), "create table event (id int primary key, payload text)");
        execute(database.dataSource(), "insert into event values (1, 'committed before the restart')");

        server.restart();

        assertThat(queryString(database.dataSource(), "select payload from event where id = 1"))
                .isEqualTo("committed before the restart");
    }

    @Test
    void everyCommittedRowSurvivesServerCrashWhenDurable() throws SQLException {
        TestDatabase database = server.createDatabase("crash");
        execute(database.dataSource(), "create table event (id int primary key)");
        int commits = 200;
        try (Connection connection = database.dataSource().getConnection();
             PreparedStatement insert = connection.prepareStatement("insert into event values (?)")) {
            for (int id = 1; id <= commits; id++) { // auto-commit: one transaction per row
                insert.setInt(1, id);
                insert.executeUpdate();
            }
        }

        server.kill(); // at once: no checkpoint, only what the WAL has
        server.restart();

        assertThat(queryString(database.dataSource(), "select count(*) from event"))
                .isEqualTo(String.valueOf(commits));
        assertThat(queryString(database.dataSource(), "select max(id) from event"))
                .isEqualTo(String.valueOf(commits));
    }

    @Test
    void keptDataDirectoryIsFoundAgainByANewServer(@TempDir Path directory) throws SQLException {
        PostgresOptions options = PostgresOptions.temporary().withDataDirectory(directory);
        PostgresServer first = PostgresServer.start(options);
        TestDatabase database;
        try {
            database = first.createDatabase("kept");
            execute(database.dataSource(), "create table todo (description text)");
            execute(database.dataSource(), "insert into todo values ('still here next run')");
        } finally {
            first.stop();
        }

        PostgresServer second = PostgresServer.start(options);
        try {
            DataSource again = new TestDatabase(database.name(), second.jdbcUrl(database.name()),
                    second.user(), second.password()).dataSource();
            assertThat(queryString(again, "select description from todo")).isEqualTo("still here next run");
        } finally {
            second.stop();
        }
    }
}
