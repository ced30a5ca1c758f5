package dev.cqrs.todo.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cqrs.outbox.RelayConfig;
import dev.cqrs.projector.ProjectorConfig;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The configuration from environment variables: defaults, fallbacks, and errors that name the variable. */
class ServiceConfigTest {

    private static final Map<String, String> MINIMAL = Map.of(
            "CQRS_DB_URL", "jdbc:postgresql://db:5432/todo",
            "CQRS_KAFKA_BOOTSTRAP", "kafka:9092",
            "CQRS_SCHEMA_REGISTRY_URL", "http://registry:8081");

    @Test
    void theDefaultsRunEveryRoleOnPort8080WithTheReadModelInTheEventStoresDatabase() {
        ServiceConfig config = ServiceConfig.from(MINIMAL);

        assertThat(config.roles()).isEqualTo(Set.of(Role.API, Role.RELAY, Role.PROJECTOR));
        assertThat(config.httpPort()).isEqualTo(8080);
        assertThat(config.readModel().url()).isEqualTo("jdbc:postgresql://db:5432/todo");
        assertThat(config.readModel().user()).isEqualTo("postgres");
        assertThat(config.tokens().required()).isFalse();
        assertThat(config.limits().maxPageSize()).isEqualTo(100);
        assertThat(config.todoTopic()).isEqualTo("events.todo");
        assertThat(config.projectorConfig().getString(ProjectorConfig.READ_SCHEMA)).isEqualTo("read");
    }

    @Test
    void relayAndProjectorKeysPassThroughAndTheTopicFollowsTheRelaysPattern() {
        Map<String, String> env = new HashMap<>(MINIMAL);
        env.put("CQRS_RELAY_TOPIC_PATTERN", "prod.{aggregateType}.events");
        env.put("CQRS_RELAY_BATCH_MAX_EVENTS", "500");
        env.put("CQRS_PROJECTOR_STATE_DIR", "/var/lib/cqrs");

        ServiceConfig config = ServiceConfig.from(env);

        assertThat(config.todoTopic()).isEqualTo("prod.todo.events");
        assertThat(config.relayConfig().getInt(RelayConfig.BATCH_MAX_EVENTS)).isEqualTo(500);
        assertThat(config.projectorConfig().getString(ProjectorConfig.STATE_DIR)).isEqualTo("/var/lib/cqrs");
    }

    @Test
    void kafkaClientSettingsPassThroughToTheRelaysProducerAndTheProjectorsKafkaStreams() {
        Map<String, String> env = new HashMap<>(MINIMAL);
        env.put("CQRS_RELAY_PRODUCER_REQUEST_TIMEOUT_MS", "8000");
        env.put("CQRS_RELAY_PRODUCER_DELIVERY_TIMEOUT_MS", "30000");
        env.put("CQRS_PROJECTOR_STREAMS_CONSUMER_REQUEST_TIMEOUT_MS", "9000");
        env.put("CQRS_PROJECTOR_STREAMS_PRODUCER_DELIVERY_TIMEOUT_MS", "31000");
        env.put("CQRS_PROJECTOR_STREAM_THREADS", "2");

        ServiceConfig config = ServiceConfig.from(env);

        assertThat(config.relaySettings()).containsEntry("producer.request.timeout.ms", "8000")
                .containsEntry("producer.delivery.timeout.ms", "30000")
                .doesNotContainKeys("relay.producer.request.timeout.ms", "relay.producer.delivery.timeout.ms");
        assertThat(config.projectorSettings()).containsEntry("streams.consumer.request.timeout.ms", "9000")
                .containsEntry("streams.producer.delivery.timeout.ms", "31000")
                .doesNotContainKey("projector.streams.consumer.request.timeout.ms");
        assertThat(config.projectorConfig().getInt(ProjectorConfig.STREAM_THREADS)).isEqualTo(2);
    }

    @Test
    void aKafkaClientSettingTheRelayOrTheProjectorOwnsIsRefusedByName() {
        assertInvalid(with("CQRS_RELAY_PRODUCER_ACKS", "1"), "producer.acks");
        assertInvalid(with("CQRS_PROJECTOR_STREAMS_PROCESSING_GUARANTEE", "at_least_once"), "streams.processing.guarantee");
    }

    @Test
    void aRelayOnlyProcessNeedsNeitherTheRegistryNorTheReadModel() {
        ServiceConfig config = ServiceConfig.from(Map.of("CQRS_ROLES", "relay", "CQRS_DB_URL", "jdbc:postgresql://db/todo",
                "CQRS_KAFKA_BOOTSTRAP", "kafka:9092"));

        assertThat(config.roles()).containsExactly(Role.RELAY);
        assertThat(config.registryUrl()).isEmpty();
    }

    @Test
    void eachMistakeIsReportedByItsVariable() {
        assertInvalid(Map.of(), "CQRS_DB_URL is not set");
        assertInvalid(with("CQRS_ROLES", "api,web"), "CQRS_ROLES='api,web'");
        assertInvalid(with("CQRS_HTTP_PORT", "80000"), "CQRS_HTTP_PORT='80000': must be a whole number from 0 to 65535");
        assertInvalid(with("CQRS_DB_URL", "postgres://db/todo"), "CQRS_DB_URL: must be a PostgreSQL JDBC URL");
        assertInvalid(with("CQRS_READ_SCHEMA", "Read; DROP"), "CQRS_READ_SCHEMA='Read; DROP'");
        assertInvalid(with("CQRS_SCHEMA_REGISTRY_URL", "registry:8081"), "CQRS_SCHEMA_REGISTRY_URL='registry:8081'");
        assertInvalid(with("CQRS_API_TOKENS", "alice:short"), "CQRS_API_TOKENS: token 1 (alice)");
        assertInvalid(with("CQRS_API_READ_WAIT_MS", "60000"), "CQRS_API_READ_WAIT_MS='60000'");
        assertInvalid(with("CQRS_RELAY_BATCH_MAX_EVENTS", "0"), "relay configuration (CQRS_RELAY_*)");
        assertInvalid(with("CQRS_PROJECTOR_READMODEL_URL", "jdbc:postgresql://other/db"), "CQRS_PROJECTOR_READMODEL_URL is not allowed");
    }

    @Test
    void aWholeNumbersRangeIsDeclaredWithItAndBothCheckedAndDocumented() {
        assertInvalid(with("CQRS_DB_POOL_SIZE", "201"), "CQRS_DB_POOL_SIZE='201': must be a whole number from 1 to 200");
        assertInvalid(with("CQRS_SNAPSHOT_EVERY", "-1"), "CQRS_SNAPSHOT_EVERY='-1': must be a whole number from 0 to 1000000");
        assertThat(ServiceConfig.from(with("CQRS_DB_POOL_SIZE", "200")).poolSize()).isEqualTo(200);
        assertThat(ServiceConfig.documentation()).contains("Connections in the event store's pool. A whole number from 1 to 200.");
    }

    @Test
    void aTokensSecretNeverAppearsInItsError() {
        assertThatThrownBy(() -> ServiceConfig.from(with("CQRS_API_TOKENS", "alice:has a space in it, ok")))
                .hasMessageNotContaining("has a space");
    }

    private static Map<String, String> with(String name, String value) {
        Map<String, String> env = new HashMap<>(MINIMAL);
        env.put(name, value);
        return env;
    }

    private static void assertInvalid(Map<String, String> env, String message) {
        assertThatThrownBy(() -> ServiceConfig.from(env))
                .isInstanceOf(ServiceConfig.InvalidConfigException.class)
                .hasMessageContaining(message);
    }
}
