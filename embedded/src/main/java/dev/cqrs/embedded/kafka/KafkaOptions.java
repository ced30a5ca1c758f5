package dev.cqrs.embedded.kafka;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * How to start an in-process Kafka broker.
 *
 * @param dataDirectory where the broker keeps its files ({@code server.properties},
 *                      {@code kafka-logs/}), kept between runs so that dev mode finds its topics
 *                      again; empty for a temporary directory deleted on {@link KafkaBroker#close()}
 * @param port          the client (PLAINTEXT) port on 127.0.0.1; {@code 0} picks a free one. The
 *                      controller listens on a second port, picked once and kept in the data
 *                      directory.
 */
public record KafkaOptions(Optional<Path> dataDirectory, int port) {

    public KafkaOptions {
        Objects.requireNonNull(dataDirectory, "dataDirectory");
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("port must be 0 (any free port) or 1-65535, was " + port);
        }
    }

    /** A temporary data directory and a free port. */
    public static KafkaOptions temporary() {
        return new KafkaOptions(Optional.empty(), 0);
    }

    /** The same options with a data directory that is kept between runs. */
    public KafkaOptions withDataDirectory(Path dataDirectory) {
        return new KafkaOptions(Optional.of(dataDirectory), port);
    }

    /** The same options with a fixed client port ({@code 0} for any free one). */
    public KafkaOptions withPort(int port) {
        return new KafkaOptions(dataDirectory, port);
    }
}
