package dev.cqrs.embedded.postgres;

import java.util.Objects;
import javax.sql.DataSource;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A database of its own for one test class (or one dev-mode run), made by
 * {@link PostgresServer#createDatabase(String)}.
 *
 * <p>On an external server whose user may not create databases, the handle stands for a fresh
 * schema in the configured database instead: then {@link #name()} is the schema's name and
 * {@link #jdbcUrl()} selects it with {@code currentSchema}. Code that uses the URL or the data
 * source does not see the difference.
 *
 * @param name     the database's name (or the schema's, see above); a plain lower-case SQL
 *                 identifier that needs no quoting
 * @param jdbcUrl  a JDBC URL without credentials
 * @param user     the user to connect as
 * @param password the user's password (empty for the embedded server, which trusts local users)
 */
public record TestDatabase(String name, String jdbcUrl, String user, String password) {

    public TestDatabase {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(password, "password");
    }

    /**
     * A new non-pooling data source for this database: every {@code getConnection()} opens a
     * connection. Put a pool in front of it where connections are opened often.
     */
    public DataSource dataSource() {
        PGSimpleDataSource dataSource = new PGSimpleDataSource();
        dataSource.setURL(jdbcUrl);
        dataSource.setUser(user);
        dataSource.setPassword(password);
        return dataSource;
    }

    @Override
    public String toString() {
        return "TestDatabase[" + name + " at " + dev.cqrs.core.Redaction.url(jdbcUrl) + " as " + user + "]";
    }
}
