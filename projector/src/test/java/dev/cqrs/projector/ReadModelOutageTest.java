package dev.cqrs.projector;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
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
import org.slf4j.LoggerFactory;

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

            // The outage lasts until it has mattered: the projector had records to write, waited out its pool's
            // connection timeout and failed the write as unavailable (ReadModelStore logs it). A projector that
            // took the failure for a poison event would have set those records aside there and then.
            ListAppender<ILoggingEvent> said = new ListAppender<>();
            said.start();
            Logger storeLog = (Logger) LoggerFactory.getLogger(ReadModelStore.class);
            storeLog.addAppender(said);
            Thread[] writers;
            try {
                readModelServer.stop();
                writers = support.write(2_000, 2);
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (unavailableFlushes(said) < 1) {
                    assertThat(System.nanoTime()).as("the projector fails a write for the outage in time").isLessThan(deadline);
                    Thread.sleep(20);
                }
            } finally {
                storeLog.detachAppender(said);
            }
            readModelServer.restart();
            ProjectorTestSupport.join(writers);

            assertThat(projector.readYourWrites().await("counters", support.headPosition(), Duration.ofSeconds(90)))
                    .as("the read model catches up once the database is back").isEqualTo(ReadYourWrites.Outcome.REACHED);
            assertThat(rows(readModels)).isEqualTo(support.foldOfTheStore());
            assertThat(projector.status("counters").deadLettered()).isZero();
            assertThat(projector.deadLetters("counters")).isEmpty();
        }
    }

    /** Writes of the counters projection that failed because its database was unavailable, as ReadModelStore logged them. */
    private static long unavailableFlushes(ListAppender<ILoggingEvent> said) {
        synchronized (said) {
            return said.list.stream().map(ILoggingEvent::getFormattedMessage)
                    .filter(line -> line.startsWith("Projection counters: the read-model database is unavailable")).count();
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
