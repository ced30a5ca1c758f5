package dev.cqrs.projector;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cqrs.embedded.postgres.PostgresOptions;
import dev.cqrs.embedded.postgres.PostgresServer;
import dev.cqrs.embedded.postgres.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The read-model database goes away while events keep coming: that is an outage, not a poison event.
 * Nothing goes to the dead-letter topic, and once the database is back the read model catches up to the
 * fold of the store.
 */
class ReadModelOutageTest {

    private final ProjectorTestSupport support = new ProjectorTestSupport("read_model_outage");
    private final PostgresServer readModelServer = PostgresServer.start(PostgresOptions.temporaryDurable());

    @AfterEach
    void close() {
        support.close();
        readModelServer.stop();
    }

    @Test
    void anUnavailableReadModelDatabaseDelaysTheProjectionWithoutDeadLetteringAnything() throws Exception {
        TestDatabase readModels = readModelServer.createDatabase("read_models");
        Map<String, Object> settings = support.projectorSettings();
        settings.put(ProjectorConfig.READ_MODEL_URL, readModels.jdbcUrl());
        settings.put(ProjectorConfig.READ_MODEL_USER, readModels.user());
        settings.put(ProjectorConfig.READ_MODEL_PASSWORD, readModels.password());
        try (Projector projector = Projector.builder(new ProjectorConfig(settings)).projection(support.counterProjection()).start()) {
            ProjectorTestSupport.join(support.write(1_000, 2));
            assertThat(projector.readYourWrites().awaitPosition("counters", support.headPosition(), Duration.ofSeconds(60))).isTrue();

            readModelServer.stop();
            Thread[] writers = support.write(2_000, 2);
            Thread.sleep(8_000);
            readModelServer.restart();
            ProjectorTestSupport.join(writers);

            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            boolean caughtUp = false;
            while (!caughtUp && System.nanoTime() < deadline) {
                try {
                    caughtUp = projector.readYourWrites().awaitPosition("counters", support.headPosition(), Duration.ofSeconds(5));
                } catch (RuntimeException stillStarting) {
                    Thread.sleep(500);
                }
            }
            assertThat(caughtUp).isTrue();
            assertThat(rows(readModels)).isEqualTo(support.foldOfTheStore());
            assertThat(projector.status("counters").deadLettered()).isZero();
            assertThat(projector.deadLetters("counters")).isEmpty();
        }
    }

    private static Map<String, ProjectorTestSupport.Counter> rows(TestDatabase db) throws Exception {
        try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT id, total, events, name FROM read.counters")) {
            Map<String, ProjectorTestSupport.Counter> rows = new TreeMap<>();
            while (rs.next()) {
                rows.put(rs.getString(1), new ProjectorTestSupport.Counter(rs.getLong(2), rs.getLong(3), rs.getString(4)));
            }
            return rows;
        }
    }
}
