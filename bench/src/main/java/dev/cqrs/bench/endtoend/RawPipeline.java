package dev.cqrs.bench.endtoend;

import dev.cqrs.bench.kafka.BenchTopics;
import dev.cqrs.bench.kafka.RawProducers;
import dev.cqrs.bench.measure.Arrivals;
import dev.cqrs.bench.workload.Backlog;
import dev.cqrs.bench.workload.Meter;
import dev.cqrs.bench.workload.MeterEvent;
import dev.cqrs.bench.workload.MeterStore;
import dev.cqrs.bench.workload.MeterTotals;
import dev.cqrs.bench.workload.Pools;
import dev.cqrs.bench.workload.RawEventTable;
import dev.cqrs.codec.kafka.EventRecords;
import dev.cqrs.core.EventNumber;
import dev.cqrs.core.RawEvent;
import dev.cqrs.core.StreamId;
import dev.cqrs.core.codec.EncodedEvent;
import dev.cqrs.embedded.kafka.KafkaBroker;
import dev.cqrs.embedded.postgres.TestDatabase;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * The end-to-end baseline: the same three hops written by hand, with no outbox, no transactions and no
 * positions. A command is a raw JDBC insert of the event row (autocommitted) followed by a
 * {@code KafkaProducer.send} of its record (a plain producer with Kafka's defaults; the send is not
 * waited for), a dual write that can lose or duplicate events; one consumer ({@code read_uncommitted},
 * no group) polls the records and upserts each poll's rows in one JDBC batch and transaction. A
 * command's change is visible when that transaction has committed.
 */
final class RawPipeline implements Arrivals, AutoCloseable {

    private final RawEventTable events;
    private final HikariDataSource readModel;
    private final KafkaProducer<String, byte[]> producer;
    private final KafkaConsumer<String, byte[]> consumer;
    private final String topic;
    private final String upsert;
    private final Map<Long, Long> arrivedAt = new ConcurrentHashMap<>();
    private final Thread thread;
    private volatile boolean closed;
    private volatile Exception failure;

    RawPipeline(KafkaBroker kafka, TestDatabase database) throws SQLException {
        this.events = RawEventTable.create(database, "raw");
        this.readModel = Pools.hikari(database, "raw-read-model", false);
        try (Connection c = readModel.getConnection(); Statement s = c.createStatement()) {
            s.execute(MeterTotals.ddl("raw." + MeterTotals.TABLE));
            c.commit();
        }
        this.upsert = MeterTotals.upsert("raw." + MeterTotals.TABLE);
        this.topic = "bench-e2e-raw.events." + Meter.TYPE;
        BenchTopics.create(kafka, topic);
        this.producer = RawProducers.plain(kafka.bootstrapServers(), "bench-e2e-raw");
        Map<String, Object> config = new HashMap<>();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, "bench-e2e-raw-consumer");
        this.consumer = new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                .map(p -> new TopicPartition(topic, p.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        partitions.forEach(p -> consumer.position(p, Duration.ofSeconds(30)));
        this.thread = Thread.ofPlatform().name("bench-e2e-raw-consumer").start(this::consume);
    }

    /**
     * A command on {@code meter}: inserts its event number {@code sequence}, then sends its record with
     * global position {@code position}.
     */
    void command(String meter, long sequence, long position, MeterEvent.ReadingRecorded reading) throws SQLException {
        EncodedEvent encoded = MeterStore.CODEC.encode(reading);
        events.insert(List.of(new RawEventTable.Row(Meter.TYPE, meter, sequence, encoded)));
        RawEvent event = new RawEvent(position, StreamId.of(Meter.TYPE, meter), EventNumber.of(sequence),
                encoded.eventType(), encoded.contentType(), encoded.payload(), Backlog.metadata());
        producer.send(EventRecords.toRecord(topic, event));
    }

    private void consume() {
        try (Connection c = readModel.getConnection(); PreparedStatement ps = c.prepareStatement(upsert)) {
            while (!closed) {
                ConsumerRecords<String, byte[]> records = consumer.poll(Duration.ofMillis(100));
                if (records.isEmpty()) {
                    continue;
                }
                List<Long> positions = new ArrayList<>(records.count());
                for (ConsumerRecord<String, byte[]> record : records) {
                    RawEvent event = EventRecords.fromRecord(record);
                    MeterEvent.ReadingRecorded reading = (MeterEvent.ReadingRecorded) MeterStore.CODEC.decode(
                            new EncodedEvent(event.eventType(), event.contentType(), event.payload()));
                    ps.setString(1, event.stream().aggregateId());
                    ps.setLong(2, reading.amount());
                    ps.setString(3, reading.source());
                    ps.setLong(4, event.globalPosition());
                    ps.addBatch();
                    positions.add(event.globalPosition());
                }
                ps.executeBatch();
                c.commit();
                long now = System.nanoTime();
                positions.forEach(p -> arrivedAt.putIfAbsent(p, now));
            }
        } catch (org.apache.kafka.common.errors.WakeupException e) {
            // closing
        } catch (Exception e) {
            failure = e;
        }
    }

    @Override
    public long arrivedAt(long position, long deadlineNanos) throws InterruptedException {
        while (true) {
            Long at = arrivedAt.get(position);
            if (at != null) {
                return at;
            }
            if (failure != null) {
                throw new IllegalStateException("the raw pipeline failed: " + failure, failure);
            }
            if (System.nanoTime() > deadlineNanos) {
                return -1;
            }
            Thread.sleep(1);
        }
    }

    /** The raw events table's pool, for CHECKPOINTs. */
    javax.sql.DataSource dataSource() {
        return events.pool();
    }

    @Override
    public void close() throws InterruptedException {
        closed = true;
        consumer.wakeup();
        thread.join(10_000);
        consumer.close(Duration.ofSeconds(5));
        producer.close(Duration.ofSeconds(5));
        readModel.close();
        events.close();
    }
}
