package dev.cqrs.reliability.faults;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * No secret reaches a log: the service runs with a database password and an API token, is used with and
 * without the token and with bad requests, and every line it logged (messages and stack traces) is
 * searched for both. The service's own loggers run at DEBUG here; libraries at the levels it ships with.
 */
class SecretsInLogsTest {

    /**
     * A password written into the JDBC URL (as pgjdbc allows: {@code ?password=}, or {@code //user:secret@})
     * of a database that cannot be reached: the service fails to start and says where it could not connect,
     * but the password appears in no log line, no exception message and no stack trace.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"jdbc:postgresql://127.0.0.1:1/x?password=%s",
            "jdbc:postgresql://127.0.0.1:1/x?user=postgres&password=%s&ssl=false", "jdbc:postgresql://postgres:%s@127.0.0.1:1/x"})
    void aPasswordInTheJdbcUrlAppearsNowhere(String url) {
        String secret = "s3cret" + UUID.randomUUID().toString().substring(0, 8);
        LoggerContext logging = (LoggerContext) LoggerFactory.getILoggerFactory();
        Logger root = logging.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ListAppender<ILoggingEvent> captured = new ListAppender<>();
        captured.setContext(logging);
        captured.start();
        root.addAppender(captured);
        Throwable failure = null;
        try {
            Map<String, String> env = new HashMap<>();
            env.put("CQRS_DB_URL", String.format(url, secret));
            env.put("CQRS_DB_TIMEOUT_MS", "1500");
            env.put("CQRS_ROLES", "relay");
            env.put("CQRS_KAFKA_BOOTSTRAP", "127.0.0.1:1");
            env.put("CQRS_HTTP_HOST", "127.0.0.1");
            env.put("CQRS_HTTP_PORT", "0");
            try (var service = dev.cqrs.todo.service.TodoService.start(dev.cqrs.todo.service.ServiceConfig.from(env))) {
                org.assertj.core.api.Assertions.fail("the service started on a database that cannot be reached");
            } catch (RuntimeException e) {
                failure = e;
            }
        } finally {
            root.detachAppender(captured);
        }
        java.io.StringWriter trace = new java.io.StringWriter();
        failure.printStackTrace(new java.io.PrintWriter(trace));
        assertThat(trace.toString()).as("the failure says where it could not connect").contains("127.0.0.1:1")
                .doesNotContain(secret);
        for (ILoggingEvent event : captured.list) {
            String line = event.getFormattedMessage() + (event.getThrowableProxy() == null ? ""
                    : ThrowableProxyUtil.asString(event.getThrowableProxy()));
            assertThat(line).as("a %s line of %s", event.getLevel(), event.getLoggerName()).doesNotContain(secret);
        }
    }

    @Test
    void neitherTheDatabasePasswordNorTheApiTokenIsEverLogged() throws Exception {
        String password = "db-secret-" + UUID.randomUUID();
        String token = "token-secret-" + UUID.randomUUID();
        LoggerContext logging = (LoggerContext) LoggerFactory.getILoggerFactory();
        Logger root = logging.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ListAppender<ILoggingEvent> captured = new ListAppender<>();
        captured.setContext(logging);
        captured.start();
        root.addAppender(captured);
        // The service's own code at DEBUG, the libraries at the levels the service ships with (a library at
        // DEBUG, Jetty's HTTP parser for one, dumps raw headers: an operator's choice, not ours).
        Logger ours = logging.getLogger("dev.cqrs");
        ours.setLevel(ch.qos.logback.classic.Level.DEBUG);
        try {
            try (ServiceUnderTest service = new ServiceUnderTest("secrets", Map.of(
                    "CQRS_DB_PASSWORD", password, "CQRS_API_TOKENS", "tester:" + token))) {
                URI graphql = service.service.url().resolve("/graphql");
                String create = "{\"query\":\"mutation { newTodo(text: \\\"x\\\") { version } }\"}";
                List<String> authorizations = List.of("", "Bearer " + token, "Bearer " + token + "x", "Basic " + token, token);
                HttpClient http = HttpClient.newHttpClient();
                for (String authorization : authorizations) {
                    HttpRequest.Builder request = HttpRequest.newBuilder(graphql).header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(create));
                    if (!authorization.isEmpty()) {
                        request.header("Authorization", authorization);
                    }
                    http.send(request.build(), HttpResponse.BodyHandlers.ofString());
                }
                http.send(HttpRequest.newBuilder(graphql).header("Content-Type", "application/json")
                        .header("Authorization", "Bearer " + token)
                        .POST(HttpRequest.BodyPublishers.ofString("{\"query\": \"mutation { " + token + " }\"}")).build(),
                        HttpResponse.BodyHandlers.ofString());
                var ok = service.client.send("{ apiVersion }", new HashMap<>());
                assertThat(ok.data()).isPresent();
            }
        } finally {
            root.detachAppender(captured);
        }
        assertThat(captured.list).as("the test captured the service's logs").hasSizeGreaterThan(10);
        for (ILoggingEvent event : captured.list) {
            String line = event.getFormattedMessage() + (event.getThrowableProxy() == null ? ""
                    : ThrowableProxyUtil.asString(event.getThrowableProxy()));
            assertThat(line).as("a %s line of %s", event.getLevel(), event.getLoggerName())
                    .doesNotContain(password).doesNotContain(token);
        }
    }
}
