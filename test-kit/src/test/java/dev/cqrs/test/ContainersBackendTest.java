package dev.cqrs.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import dev.cqrs.embedded.ServerBackend;
import dev.cqrs.embedded.containers.ContainerServers;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;
import org.junit.platform.testkit.engine.Events;

/**
 * {@code CQRS_TEST_SERVERS=containers} through the extension: without a Docker engine, every test of
 * a user's class is reported skipped with the reason (not the class as a whole, which Surefire
 * would count as zero tests), and its {@code @BeforeAll} does not run; with an engine, the same tests
 * run against the containers and pass.
 */
class ContainersBackendTest {

    @Test
    void aUsersClassUnderTheContainersBackendIsSkippedTestByTestWithTheReasonOrRunsAgainstContainers() {
        Fixture.beforeAllRuns.set(0);
        Events tests = runUnderContainers(Fixture.class).testEvents();

        Optional<String> unavailable = ContainerServers.unavailableReason();
        if (unavailable.isPresent()) {
            assertThat(tests.aborted().count()).as("aborted tests").isEqualTo(2);
            assertThat(tests.succeeded().count()).isZero();
            assertThat(tests.failed().count()).isZero();
            List<String> reasons = tests.aborted().stream()
                    .map(event -> event.getPayload(org.junit.platform.engine.TestExecutionResult.class).orElseThrow()
                            .getThrowable().orElseThrow().getMessage())
                    .toList();
            assertThat(reasons).allSatisfy(reason -> assertThat(reason)
                    .startsWith("CQRS_TEST_SERVERS=containers, but ")
                    .contains(unavailable.get()));
            assertThat(Fixture.beforeAllRuns).as("@BeforeAll runs on servers that are not there").hasValue(0);
        } else {
            assertThat(tests.succeeded().count()).as(failures(tests)).isEqualTo(2);
            assertThat(Fixture.beforeAllRuns).hasValue(1);
        }
    }

    private static EngineExecutionResults runUnderContainers(Class<?> testClass) {
        String before = System.getProperty(ServerBackend.PROPERTY);
        System.setProperty(ServerBackend.PROPERTY, ServerBackend.CONTAINERS.value());
        try {
            return EngineTestKit.engine("junit-jupiter").selectors(selectClass(testClass)).execute();
        } finally {
            if (before == null) {
                System.clearProperty(ServerBackend.PROPERTY);
            } else {
                System.setProperty(ServerBackend.PROPERTY, before);
            }
        }
    }

    private static String failures(Events tests) {
        return tests.failed().stream().map(Event::toString).toList().toString();
    }

    /** A user's test class; run only through the engine above (Surefire skips nested classes). */
    @CqrsTest
    static class Fixture {

        static final AtomicInteger beforeAllRuns = new AtomicInteger();

        private final CqrsServers servers;

        Fixture(CqrsServers servers) {
            this.servers = servers;
        }

        @BeforeAll
        static void migrate(CqrsServers servers) {
            beforeAllRuns.incrementAndGet();
            assertThat(servers.jdbcUrl()).isNotBlank();
        }

        @Test
        void usesTheDatabase() {
            assertThat(servers.backend()).isEqualTo(ServerBackend.CONTAINERS);
            assertThat(servers.jdbcUrl()).startsWith("jdbc:postgresql:");
        }

        @Test
        void usesKafka(CqrsServers parameter) {
            assertThat(parameter.createTopic("events", 1)).startsWith(parameter.topicPrefix());
        }

        @AfterAll
        static void cleanUp(CqrsServers servers) {
            assertThat(servers.topicPrefix()).isNotBlank();
        }
    }
}
