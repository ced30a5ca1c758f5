package dev.cqrs.bench.kafka;

import dev.cqrs.embedded.kafka.KafkaBroker;
import dev.cqrs.embedded.postgres.TestDatabase;
import dev.cqrs.projector.ProjectorConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.Map;

/** The projectors the scenarios run: the projector's defaults, read models in the scenario's database. */
public final class BenchProjectors {

    private BenchProjectors() {
    }

    /**
     * Projector settings: Kafka Streams application ids under {@code prefix}, read models in
     * {@code database}, state in a temporary directory; everything else the projector's default.
     */
    public static ProjectorConfig config(KafkaBroker kafka, TestDatabase database, String prefix) {
        Map<String, Object> settings = new HashMap<>();
        settings.put(ProjectorConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
        settings.put(ProjectorConfig.APPLICATION_PREFIX, prefix);
        settings.put(ProjectorConfig.READ_MODEL_URL, database.jdbcUrl());
        settings.put(ProjectorConfig.READ_MODEL_USER, database.user());
        settings.put(ProjectorConfig.READ_MODEL_PASSWORD, database.password());
        settings.put(ProjectorConfig.TOPIC_PARTITIONS, BenchTopics.PARTITIONS);
        try {
            settings.put(ProjectorConfig.STATE_DIR, Files.createTempDirectory("cqrs-bench-streams-").toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new ProjectorConfig(settings);
    }

    /** The projector's default for {@link ProjectorConfig#BATCH_MAX_EVENTS}: the events of one PostgreSQL transaction. */
    public static int batchMaxEvents() {
        return new ProjectorConfig(Map.of(ProjectorConfig.BOOTSTRAP_SERVERS, "localhost:9092"))
                .getInt(ProjectorConfig.BATCH_MAX_EVENTS);
    }
}
