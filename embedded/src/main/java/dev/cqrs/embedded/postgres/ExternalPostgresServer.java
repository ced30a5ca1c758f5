package dev.cqrs.embedded.postgres;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A server that someone else runs (CI elsewhere, docker-compose), named by {@code CQRS_DB_URL},
 * {@code CQRS_DB_USER} and {@code CQRS_DB_PASSWORD}. Fresh databases are made with
 * {@code CREATE DATABASE}; when the user lacks CREATEDB (SQLSTATE 42501), with
 * {@code CREATE SCHEMA} in the URL's database instead.
 */
final class ExternalPostgresServer implements PostgresServer {

    static final String URL_VARIABLE = "CQRS_DB_URL";
    static final String USER_VARIABLE = "CQRS_DB_USER";
    static final String PASSWORD_VARIABLE = "CQRS_DB_PASSWORD";

    private static final Logger LOG = LoggerFactory.getLogger(ExternalPostgresServer.class);
    private static final String INSUFFICIENT_PRIVILEGE = "42501";
    /** {@code jdbc:postgresql://hosts/database?parameters} or {@code jdbc:postgresql:database?parameters}. */
    private static final Pattern JDBC_URL =
            Pattern.compile("^(jdbc:postgresql:(?://[^/?]*/?)?)([^?]*)(\\?.*)?$");

    private final String url;
    private final String user;
    private final String password;

    ExternalPostgresServer(String url, String user, String password) {
        if (!JDBC_URL.matcher(url).matches()) {
            throw new IllegalArgumentException(URL_VARIABLE + " must be a PostgreSQL JDBC URL such as"
                    + " jdbc:postgresql://localhost:5432/cqrs, was " + dev.cqrs.core.Redaction.url(url));
        }
        this.url = url;
        this.user = user;
        this.password = password;
    }

    static Optional<ExternalPostgresServer> fromEnvironment(Map<String, String> environment) {
        String url = environment.get(URL_VARIABLE);
        if (url == null || url.isBlank()) {
            return Optional.empty();
        }
        var server = new ExternalPostgresServer(url.strip(),
                environment.getOrDefault(USER_VARIABLE, "postgres"),
                environment.getOrDefault(PASSWORD_VARIABLE, ""));
        LOG.info("using the external PostgreSQL at {} as {} ({} is set)", url, server.user, URL_VARIABLE);
        return Optional.of(server);
    }

    @Override
    public String jdbcUrl(String database) {
        Matcher matcher = matcher();
        String host = matcher.group(1);
        String separator = host.endsWith("/") || !host.contains("//") ? "" : "/";
        return host + separator + database + Optional.ofNullable(matcher.group(3)).orElse("");
    }

    @Override
    public String user() {
        return user;
    }

    @Override
    public String password() {
        return password;
    }

    @Override
    public TestDatabase createDatabase(String namePrefix) {
        String name = DatabaseNames.unique(namePrefix);
        try (Connection connection = DriverManager.getConnection(url, user, password);
             Statement statement = connection.createStatement()) {
            try {
                statement.execute("CREATE DATABASE \"" + name + "\"");
                return new TestDatabase(name, jdbcUrl(name), user, password);
            } catch (SQLException e) {
                if (!INSUFFICIENT_PRIVILEGE.equals(e.getSQLState())) {
                    throw e;
                }
                LOG.info("{} may not create databases on {}; using a fresh schema {} instead", user, url, name);
            }
            statement.execute("CREATE SCHEMA \"" + name + "\"");
            String separator = matcher().group(3) == null ? "?" : "&";
            return new TestDatabase(name, url + separator + "currentSchema=" + name, user, password);
        } catch (SQLException e) {
            throw new IllegalStateException("could not create database or schema " + name + " on " + dev.cqrs.core.Redaction.url(url)
                    + " as " + user, e);
        }
    }

    @Override
    public void stop() {
        throw unsupported("stop");
    }

    @Override
    public void kill() {
        throw unsupported("kill");
    }

    @Override
    public void restart() {
        throw unsupported("restart");
    }

    @Override
    public String toString() {
        return "external PostgreSQL at " + dev.cqrs.core.Redaction.url(url);
    }

    private Matcher matcher() {
        Matcher matcher = JDBC_URL.matcher(url);
        if (!matcher.matches()) {
            throw new IllegalStateException("unreachable: the URL was checked in the constructor");
        }
        return matcher;
    }

    private UnsupportedOperationException unsupported(String operation) {
        return new UnsupportedOperationException("cannot " + operation + " the " + this + " (from "
                + URL_VARIABLE + "): only an embedded server started by PostgresServer.start() can be");
    }
}
