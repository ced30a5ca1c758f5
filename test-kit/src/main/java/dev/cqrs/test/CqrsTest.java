package dev.cqrs.test;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Gives a test class a real PostgreSQL, a Kafka broker and a schema registry: a fresh database and
 * a topic prefix of its own, shared by its tests, through a {@link CqrsServers} parameter of its
 * constructor, a {@code @BeforeAll}/{@code @BeforeEach} method or a test method.
 *
 * <pre>{@code
 * @CqrsTest
 * class AccountProjectionTest {
 *     private final CqrsServers servers;
 *
 *     AccountProjectionTest(CqrsServers servers) {
 *         this.servers = servers;
 *     }
 *
 *     @Test
 *     void depositsAreProjected() {
 *         DataSource db = servers.dataSource();
 *         String topic = servers.createTopic("account-events", 3);
 *         ... servers.bootstrapServers() ... servers.schemaRegistryUrl() ...
 *     }
 * }
 * }</pre>
 *
 * <p>Where the servers come from is chosen by {@code CQRS_TEST_SERVERS} (or the system property
 * {@code cqrs.test.servers}): {@code embedded} (the default: started in the test JVM, no Docker),
 * {@code containers} (Testcontainers; without a Docker engine, every test of the class is reported
 * skipped with the reason) or {@code external} ({@code CQRS_DB_URL}, {@code CQRS_KAFKA_BOOTSTRAP},
 * {@code CQRS_SCHEMA_REGISTRY_URL}). The servers are started once per JVM and shared by all classes.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(CqrsServersExtension.class)
public @interface CqrsTest {
}
