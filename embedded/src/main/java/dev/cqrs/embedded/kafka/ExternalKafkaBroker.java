package dev.cqrs.embedded.kafka;

import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A cluster that someone else runs, named by {@code CQRS_KAFKA_BOOTSTRAP}. */
final class ExternalKafkaBroker implements KafkaBroker {

    static final String BOOTSTRAP_VARIABLE = "CQRS_KAFKA_BOOTSTRAP";

    private static final Logger LOG = LoggerFactory.getLogger(ExternalKafkaBroker.class);

    private final String bootstrapServers;

    ExternalKafkaBroker(String bootstrapServers) {
        this.bootstrapServers = bootstrapServers;
    }

    static Optional<ExternalKafkaBroker> fromEnvironment(Map<String, String> environment) {
        String bootstrap = environment.get(BOOTSTRAP_VARIABLE);
        if (bootstrap == null || bootstrap.isBlank()) {
            return Optional.empty();
        }
        LOG.info("using the external Kafka cluster at {} ({} is set)", bootstrap.strip(), BOOTSTRAP_VARIABLE);
        return Optional.of(new ExternalKafkaBroker(bootstrap.strip()));
    }

    @Override
    public String bootstrapServers() {
        return bootstrapServers;
    }

    @Override
    public void close() {
        // Not ours to stop.
    }

    @Override
    public String toString() {
        return "external Kafka at " + bootstrapServers;
    }
}
