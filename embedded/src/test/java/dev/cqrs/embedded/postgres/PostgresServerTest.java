package dev.cqrs.embedded.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

class PostgresServerTest {

    private final PostgresServer server = PostgresServer.shared();

    @Test
    void sharedServerIsPostgreSql17() throws SQLException {
        TestDatabase database = server.createDatabase("version_check");

        String version = queryString(database.dataSource(), "select version()");

        assertThat(version).startsWith("PostgreSQL 17.");
    }

    @Test
    void freshDatabasesAreIndependent() throws SQLException {
        TestDatabase first = server.createDatabase("independent");
        TestDatabase second = server.createDatabase("independent");

        execute(first.dataSource(), "create table todo (id int primary key, description text)");
        execute(first.dataSource(), "insert into todo values (1, 'only in the first database')");

        assertThat(first.name()).isNotEqualTo(second.name());
        assertThat(queryString(first.dataSource(), "select description from todo"))
                .isEqualTo("only in the first database");
        assertThat(queryString(second.dataSource(), "select to_regclass('todo')::text")).isNull();
        assertThat(queryString(second.dataSource(), "select current_database()")).isEqualTo(second.name());
    }

    @Test
    void databaseNamesAreSafeIdentifiersWhateverThePrefix() throws SQLException {
        TestDatabase hostile = server.createDatabase("My Test\"; DROP DATABASE postgres; --");
        TestDatabase numeric = server.createDatabase("42");
        TestDatabase longOne = server.createDatabase("x".repeat(200));

        for (TestDatabase database : new TestDatabase[] {hostile, numeric, longOne}) {
            assertThat(database.name()).matches("[a-z][a-z0-9_]*").hasSizeLessThanOrEqualTo(63);
            assertThat(queryString(database.dataSource(), "select current_database()")).isEqualTo(database.name());
        }
        assertThat(hostile.name()).startsWith("my_test_drop_database_postgres_");
        assertThat(numeric.name()).startsWith("db_42_");
    }

    @Test
    void sharedEmbeddedServerTradesDurabilityForSpeed() throws SQLException {
        assumeTrue(server instanceof EmbeddedPostgresServer, "only the embedded server's settings are ours");
        DataSource postgres = server.createDatabase("settings").dataSource();

        assertThat(queryString(postgres, "show fsync")).isEqualTo("off");
        assertThat(queryString(postgres, "show synchronous_commit")).isEqualTo("off");
    }

    static String queryString(DataSource dataSource, String sql) throws SQLException {
        try (Connection connection = dataSource.getConnection();
             Statement statement = connection.createStatement();
             ResultSet result = statement.executeQuery(sql)) {
            assertThat(result.next()).as("a row from %s", sql).isTrue();
            return result.getString(1);
        }
    }

    static void execute(DataSource dataSource, String sql) throws SQLException {
        try (Connection connection = dataSource.getConnection();
             Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }
}
