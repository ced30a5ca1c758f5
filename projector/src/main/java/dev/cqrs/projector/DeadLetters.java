package dev.cqrs.projector;

import dev.cqrs.codec.kafka.EventRecords;
import dev.cqrs.core.RawEvent;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads and replays what projections and reactors set aside. A PostgreSQL projection's dead letters are
 * rows of its generation's schema, written with the positions that pass them; they replay through the
 * generation's {@link ReadModelWriter}, each at most once. A state projection's or a reactor's are the
 * records of its dead-letter topic; a command reactor's replay runs its reaction again (its idempotency
 * keys keep that safe).
 */
final class DeadLetters {

    private static final Logger log = LoggerFactory.getLogger(DeadLetters.class);

    private final String bootstrapServers;

    DeadLetters(String bootstrapServers) {
        this.bootstrapServers = bootstrapServers;
    }

    /** The records of a dead-letter topic, oldest first. */
    List<DeadLetter> inTopic(String deadLetterTopic) {
        Map<String, Object> settings = Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.CLIENT_ID_CONFIG, "cqrs-dead-letter-reader");
        List<DeadLetter> letters = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(settings, new StringDeserializer(), new ByteArrayDeserializer())) {
            TopicPartition partition = new TopicPartition(deadLetterTopic, 0);
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            long end = consumer.endOffsets(List.of(partition)).get(partition);
            while (consumer.position(partition) < end) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    letters.add(new DeadLetter(record.offset(), header(record, Delivery.DLT_SOURCE), header(record, Delivery.DLT_STAGE),
                            header(record, Delivery.DLT_ERROR), header(record, Delivery.DLT_FAILED_AT), parse(record),
                            record.key(), record.value()));
                }
            }
        }
        return letters;
    }

    /**
     * Applies a generation's dead letters not replayed yet, each in its own transaction that marks it
     * replayed; a letter that still fails stays.
     *
     * @return how many were applied now
     */
    <E> int replayIntoReadModel(PostgresProjection<E> projection, Generation generation, ReadModelDatabase database) {
        ReadModelWriter writer = new ReadModelWriter(database, generation);
        int applied = 0;
        for (DeadLetter letter : database.deadLetters(generation)) {
            if (letter.event().isEmpty()) {
                continue;
            }
            RawEvent raw = letter.event().get();
            try {
                SqlBatch sql = new SqlBatch();
                projection.apply(Delivery.decode(raw, projection.codec()), sql);
                if (writer.replay(sourcePartition(letter), letter.offset(), sql.statements)) {
                    applied++;
                }
            } catch (SQLException e) {
                if (ReadModelStore.isUnavailable(e)) {
                    throw new IllegalStateException("cannot reach the read-model database: " + e.getMessage(), e);
                }
                log.warn("Projection {}: dead letter {} still fails: {}", projection.name(), letter.source(), e.toString());
            } catch (Exception e) {
                log.warn("Projection {}: dead letter {} still fails: {}", projection.name(), letter.source(), e.toString());
            }
        }
        return applied;
    }

    /**
     * Runs a command reactor's reaction again on its dead letters; one that still fails stays.
     *
     * @return how many reactions ran now
     */
    <E> int replayReaction(Reactor<E> reactor, List<DeadLetter> letters) {
        int applied = 0;
        for (DeadLetter letter : letters) {
            if (letter.event().isEmpty()) {
                continue;
            }
            RawEvent raw = letter.event().get();
            try {
                reactor.reaction().orElseThrow().react(Delivery.decode(raw, reactor.codec()));
                applied++;
            } catch (Exception e) {
                log.warn("Reactor {}: dead letter {} still fails: {}", reactor.name(), letter.source(), e.toString());
            }
        }
        return applied;
    }

    /** The partition a dead letter came from: its source reads {@code <topic>-<partition>@<offset>}. */
    private static TopicPartition sourcePartition(DeadLetter letter) {
        String source = letter.source();
        int at = source.lastIndexOf('@');
        int dash = source.lastIndexOf('-', at);
        return new TopicPartition(source.substring(0, dash), Integer.parseInt(source.substring(dash + 1, at)));
    }

    private static String header(ConsumerRecord<String, byte[]> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null ? "" : new String(header.value(), StandardCharsets.UTF_8);
    }

    private static Optional<RawEvent> parse(ConsumerRecord<String, byte[]> record) {
        try {
            return Optional.of(EventRecords.fromRecord(record));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }
}
