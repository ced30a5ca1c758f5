package dev.cqrs.todo.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The service stops in order: HTTP first (no request can start on a half-stopped service), then the
 * projector and the relay (each finishing its transaction), then the connections: the event store's pool,
 * which the relay may still need, and the queries' pool. Observed from outside while
 * {@link TodoService#close()} runs: the HTTP port refusing connections, the projector's database sessions
 * gone, the relay's leader lock released, and each pool's sessions gone.
 */
class ShutdownOrderTest {

    @Test
    void httpStopsFirstThenTheProjectorAndTheRelayThenTheConnections() throws Exception {
        TestService todo = TestService.start("todo_shutdown_order");
        CompletableFuture<Void> closing = null;
        try (Connection observer = DriverManager.getConnection(todo.db.jdbcUrl(), todo.db.user(), todo.db.password())) {
            // A write read back through the read model: the relay leads and published it, the projector applied it.
            String position = todo.graphql("mutation { newTodo(text: \"before the shutdown\") { position } }", Map.of())
                    .path("data").path("newTodo").path("position").asText();
            assertThat(todo.graphql("query($p: Position) { allTodos(minPosition: $p) { totalCount } }", Map.of("p", position))
                    .path("extensions").path("readYourWrites").path("reached").asBoolean()).isTrue();
            int port = todo.service.port();
            State running = State.of(observer, port);
            assertThat(running).as("everything is up before the shutdown")
                    .isEqualTo(new State(true, true, true, true, true));

            closing = CompletableFuture.runAsync(todo::close);
            // Steps first seen stopped, by sample. Each sample reads the later steps first (the database state in
            // one statement, then HTTP), so a step that stopped before another is never first seen after it.
            int sample = 0;
            int http = -1;
            int projector = -1;
            int relay = -1;
            int store = -1;
            int queries = -1;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (store < 0 || queries < 0) {
                assertThat(System.nanoTime()).as("the service stops within 60 s").isLessThan(deadline);
                State now = State.of(observer, port);
                sample++;
                if (!now.store() && store < 0) {
                    store = sample;
                }
                if (!now.queries() && queries < 0) {
                    queries = sample;
                }
                if (!now.relay() && relay < 0) {
                    relay = sample;
                }
                if (!now.projector() && projector < 0) {
                    projector = sample;
                }
                if (!now.http() && http < 0) {
                    http = sample;
                }
            }
            closing.get(60, TimeUnit.SECONDS);

            String order = "first seen stopped at sample: http " + http + ", projector " + projector + ", relay " + relay
                    + ", the store's pool " + store + ", the queries' pool " + queries;
            assertThat(http).as(order).isPositive().isLessThanOrEqualTo(projector).isLessThanOrEqualTo(relay);
            assertThat(Math.max(projector, relay)).as("the connections close after the projector and the relay: " + order)
                    .isLessThanOrEqualTo(store).isLessThanOrEqualTo(queries);
            assertThat(http).as("HTTP stops before the connections: " + order).isLessThan(Math.min(store, queries));
        } finally {
            if (closing == null) {
                todo.close();
            }
        }
    }

    /**
     * What runs, seen from outside.
     *
     * @param http        the HTTP port accepts connections
     * @param projector   the projector has sessions on the database (its read-model pool)
     * @param relay       the relay holds its leader lock (an advisory lock)
     * @param store       the event store's pool has sessions
     * @param queries     the queries' pool (the read model, for the API) has sessions
     */
    private record State(boolean http, boolean projector, boolean relay, boolean store, boolean queries) {

        static State of(Connection observer, int port) throws SQLException {
            boolean projector;
            boolean relay;
            boolean store;
            boolean queries;
            try (Statement s = observer.createStatement(); ResultSet rs = s.executeQuery("""
                    SELECT (SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
                              AND application_name = 'cqrs-projector'),
                           (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'
                              AND database = (SELECT oid FROM pg_database WHERE datname = current_database())),
                           (SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
                              AND application_name = 'cqrs-store'),
                           (SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
                              AND application_name = 'cqrs-todo-api')""")) {
                rs.next();
                projector = rs.getLong(1) > 0;
                relay = rs.getLong(2) > 0;
                store = rs.getLong(3) > 0;
                queries = rs.getLong(4) > 0;
            }
            return new State(accepts(port), projector, relay, store, queries);
        }

        private static boolean accepts(int port) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return true;
            } catch (IOException e) {
                return false;
            }
        }
    }
}
