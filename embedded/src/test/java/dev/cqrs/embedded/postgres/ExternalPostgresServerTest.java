package dev.cqrs.embedded.postgres;

import static dev.cqrs.embedded.postgres.PostgresServerTest.execute;
import static dev.cqrs.embedded.postgres.PostgresServerTest.queryString;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.sql.SQLException;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The external-server path, pointed at the shared server as if it were someone else's. */
class ExternalPostgresServerTest {

    @Test
    void noUrlInTheEnvironmentMeansNoExternalServer() {
        assertThat(ExternalPostgresServer.fromEnvironment(Map.of())).isEmpty();
        assertThat(ExternalPostgresServer.fromEnvironment(Map.of("CQRS_DB_URL", " "))).isEmpty();
    }

    @Test
    void environmentNamesTheServerAndItsCredentials() {
        PostgresServer server = ExternalPostgresServer.fromEnvironment(Map.of(
                "CQRS_DB_URL", "jdbc:postgresql://db.example:5432/cqrs?sslmode=disable",
                "CQRS_DB_USER", "app",
                "CQRS_DB_PASSWORD", "secret")).orElseThrow();

        assertThat(server.user()).isEqualTo("app");
        assertThat(server.password()).isEqualTo("secret");
        assertThat(server.jdbcUrl("other")).isEqualTo("jdbc:postgresql://db.example:5432/other?sslmode=disable");
    }

    @Test
    void jdbcUrlReplacesOnlyTheDatabase() {
        assertThat(new ExternalPostgresServer("jdbc:postgresql://h1:1,h2:2/cqrs", "u", "").jdbcUrl("x"))
                .isEqualTo("jdbc:postgresql://h1:1,h2:2/x");
        assertThat(new ExternalPostgresServer("jdbc:postgresql://localhost", "u", "").jdbcUrl("x"))
                .isEqualTo("jdbc:postgresql://localhost/x");
        assertThat(new ExternalPostgresServer("jdbc:postgresql:cqrs?ssl=true", "u", "").jdbcUrl("x"))
                .isEqualTo("jdbc:postgresql:x?ssl=true");
        assertThatThrownBy(() -> new ExternalPostgresServer("jdbc:mysql://localhost/cqrs", "u", ""))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("CQRS_DB_URL");
    }

    @Test
    void externalServerCannotBeStoppedOrRestarted() {
        var server = new ExternalPostgresServer("jdbc:postgresql://localhost/cqrs", "u", "");

        assertThatThrownBy(server::stop).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(server::kill).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(server::restart).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void externalServerCreatesFreshDatabases() throws SQLException {
        PostgresServer shared = PostgresServer.shared();
        var external = new ExternalPostgresServer(shared.jdbcUrl("postgres"), shared.user(), shared.password());

        TestDatabase database = external.createDatabase("external");

        assertThat(queryString(database.dataSource(), "select current_database()")).isEqualTo(database.name());
    }

    @Test
    void userWithoutCreatedbGetsAFreshSchemaInstead() throws SQLException {
        PostgresServer shared = PostgresServer.shared();
        assumeTrue(shared instanceof EmbeddedPostgresServer, "needs a superuser to create the limited role");
        TestDatabase home = shared.createDatabase("limited_home");
        String role = "limited_" + home.name().substring(home.name().length() - 8);
        execute(home.dataSource(), "create role " + role + " login nocreatedb");
        execute(home.dataSource(), "grant create on database " + home.name() + " to " + role);
        var external = new ExternalPostgresServer(home.jdbcUrl(), role, "");

        TestDatabase schema = external.createDatabase("schema_instead");
        execute(schema.dataSource(), "create table todo (id int)");

        assertThat(schema.jdbcUrl()).contains("currentSchema=" + schema.name());
        assertThat(queryString(schema.dataSource(), "select current_database()")).isEqualTo(home.name());
        assertThat(queryString(schema.dataSource(), "select current_schema()")).isEqualTo(schema.name());
        assertThat(queryString(schema.dataSource(), "select schemaname from pg_tables where tablename = 'todo'"))
                .isEqualTo(schema.name());
    }
}
