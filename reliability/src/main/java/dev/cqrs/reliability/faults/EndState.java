package dev.cqrs.reliability.faults;

import dev.cqrs.codec.avro.AvroEventCodec;
import dev.cqrs.codec.registry.SchemaRegistryClient;
import dev.cqrs.core.RawEvent;
import dev.cqrs.postgres.GlobalLog;
import dev.cqrs.postgres.PostgresEventStore;
import dev.cqrs.reliability.audit.TodoListAudit;
import dev.cqrs.todo.domain.TodoAggregate;
import dev.cqrs.todo.domain.TodoEvent;
import dev.cqrs.todo.service.ServiceConfig;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * What the store, the event topic and the to-do read model hold once the run has settled, read once, exactly
 * (no samples): every stored event and idempotency key, every published record with its partition and
 * offset, every read-model row that differs from the fold of the store, the events that change nothing,
 * and per partition how far the read model applied and how far its consumer group committed.
 */
final class EndState {

    /** A stored event, as the checks need it. */
    record StoredEvent(long position, UUID eventId, String todoId, long sequence) {
    }

    /** An idempotency key: the command's to-do, and its last event's sequence and position. */
    record Key(String todoId, long lastSequence, long lastPosition) {
    }

    /** Per partition: the offset of the last record the read model applied, and the group's committed offset. */
    record PartitionProgress(int partition, long appliedOffset, long committedOffset) {
    }

    final Map<Long, StoredEvent> eventsByPosition = new HashMap<>();
    final Map<UUID, StoredEvent> eventsById = new HashMap<>();
    final Map<String, Key> keys = new HashMap<>();
    final List<SettledTopic.Published> topic;
    /** To-do id to what differs: "missing", "unexpected", or "expected ... found ...". */
    final Map<String, String> readModelDifferences = new TreeMap<>();
    final List<String> eventsThatChangeNothing;
    final Map<Integer, PartitionProgress> progress = new TreeMap<>();

    /**
     * @param expected       per to-do, its row as the fold of the store leaves it
     * @param actual         per to-do, its row in the read model
     * @param changeNothing  the stored events that change nothing
     */
    EndState(List<SettledTopic.Published> topic, Map<String, String> expected, Map<String, String> actual, List<String> changeNothing) {
        this.topic = topic;
        expected.forEach((id, row) -> {
            String found = actual.get(id);
            if (found == null) {
                readModelDifferences.put(id, "missing from the read model: " + row);
            } else if (!found.equals(row)) {
                readModelDifferences.put(id, "expected " + row + ", found " + found);
            }
        });
        actual.forEach((id, row) -> {
            if (!expected.containsKey(id)) {
                readModelDifferences.put(id, "in the read model only: " + row);
            }
        });
        this.eventsThatChangeNothing = List.copyOf(changeNothing);
    }

    /** Adds a stored event (for {@link #read}, and for tests). */
    void stored(StoredEvent event) {
        eventsByPosition.put(event.position(), event);
        eventsById.put(event.eventId(), event);
    }

    static EndState read(ServiceConfig config, String projectionGroup, String positionsTable) throws Exception {
        String topicName = config.todoTopic();
        List<SettledTopic.Published> topic = SettledTopic.records(config.kafkaBootstrap(), topicName, Duration.ofMinutes(3));
        try (PostgresEventStore store = PostgresEventStore.builder(config.eventStore().url(), config.eventStore().user(),
                config.eventStore().password()).schema(config.storeSchema()).migrate(false).poolSize(2).build();
             SchemaRegistryClient registry = SchemaRegistryClient.builder(config.registryUrl().orElseThrow()).build()) {
            AvroEventCodec<TodoEvent> codec = AvroEventCodec.builder(TodoEvent.class, TodoAggregate.TYPE, registry).build();
            PGSimpleDataSource readModel = new PGSimpleDataSource();
            readModel.setURL(config.readModel().url());
            readModel.setUser(config.readModel().user());
            readModel.setPassword(config.readModel().password());
            TodoListAudit fold = new TodoListAudit(codec, readModel, config.readSchema() + ".todos");
            GlobalLog log = store.globalLog();
            List<StoredEvent> stored = new ArrayList<>();
            long last = 0;
            while (true) {
                List<RawEvent> page = log.readAfter(last, 10_000);
                if (page.isEmpty()) {
                    break;
                }
                for (RawEvent event : page) {
                    fold.accept(event);
                    stored.add(new StoredEvent(event.globalPosition(), event.metadata().eventId(), event.stream().aggregateId(),
                            event.sequence().value()));
                    last = event.globalPosition();
                }
            }
            EndState state = new EndState(topic, fold.expectedRows(), fold.read().rows(), fold.eventsThatChangeNothing());
            stored.forEach(state::stored);
            try (Connection c = DriverManager.getConnection(config.eventStore().url(), config.eventStore().user(),
                    config.eventStore().password()); Statement s = c.createStatement()) {
                c.setAutoCommit(false);
                s.setFetchSize(10_000);
                try (ResultSet rs = s.executeQuery("SELECT idempotency_key, aggregate_id, last_sequence, last_position FROM "
                        + config.storeSchema() + ".idempotency_keys")) {
                    while (rs.next()) {
                        state.keys.put(clientKey(rs.getString(1)), new Key(rs.getString(2), rs.getLong(3), rs.getLong(4)));
                    }
                }
                try (ResultSet rs = s.executeQuery("SELECT partition, \"offset\" FROM " + positionsTable + " WHERE topic = '"
                        + topicName.replace("'", "''") + "'")) {
                    Map<Integer, Long> committed = committedOffsets(config.kafkaBootstrap(), projectionGroup);
                    while (rs.next()) {
                        int partition = rs.getInt(1);
                        state.progress.put(partition, new PartitionProgress(partition, rs.getLong(2), committed.getOrDefault(partition, -1L)));
                    }
                }
                c.commit();
            } catch (SQLException e) {
                throw new IllegalStateException("cannot read the idempotency keys or the read model's positions: " + e.getMessage(), e);
            }
            return state;
        }
    }

    /**
     * The key a client sent, from the key as the store keeps it: the service stores {@code <initiated by>/<key>}
     * (its RequestContext), the ledger has what the client sent.
     */
    static String clientKey(String stored) {
        return stored.substring(stored.lastIndexOf('/') + 1);
    }

    private static Map<Integer, Long> committedOffsets(String bootstrap, String group) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            Map<Integer, Long> offsets = new HashMap<>();
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata()
                    .get(30, TimeUnit.SECONDS);
            committed.forEach((partition, offset) -> {
                if (offset != null) {
                    offsets.put(partition.partition(), offset.offset());
                }
            });
            return offsets;
        }
    }
}
