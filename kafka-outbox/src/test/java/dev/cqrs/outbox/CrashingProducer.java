package dev.cqrs.outbox;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.metrics.KafkaMetric;

/**
 * Kafka's producer, made to crash the relay at one chosen point of one chosen transaction: the real
 * producer is closed at once (what it had not sent is dropped, its transaction stays open on the broker)
 * and the relay's thread is unwound by an {@link Error}, which the relay does not catch: no commit, no
 * abort, no clean shutdown, as if its process had died there.
 */
final class CrashingProducer implements Producer<String, byte[]> {

    /** Where in a transaction the crash comes. */
    enum Point {
        /** Right after beginTransaction: nothing sent. */
        BEGUN,
        /** After the transaction's first event record was handed to the producer. */
        FIRST_EVENT_SENT,
        /** After half of the batch's event records (the batch size is known to the test). */
        MIDDLE_EVENT_SENT,
        /** After every event record of the batch, before the checkpoint record. */
        LAST_EVENT_SENT,
        /** After the checkpoint record too, before commitTransaction. */
        CHECKPOINT_SENT,
        /** commitTransaction went through on the broker, but the relay never learns it. */
        COMMITTED_UNACKNOWLEDGED
    }

    /** Unwinds the relay's thread; it is not an exception the relay handles. */
    static final class SimulatedCrash extends Error {
        SimulatedCrash(Point point, int transaction) {
            super("crashed on purpose at " + point + " of transaction " + transaction, null, false, false);
        }
    }

    /**
     * Producers of which the first one crashes at {@code point} of its {@code transaction}-th transaction
     * (1 = the first); {@code crashed} is set when it happened.
     */
    static Relay.Producers crashingAt(Point point, int transaction, int batchSize, String checkpointTopic, AtomicBoolean crashed) {
        AtomicBoolean armed = new AtomicBoolean(true);
        return settings -> {
            Producer<String, byte[]> real = Relay.Producers.KAFKA.create(settings);
            return armed.compareAndSet(true, false)
                    ? new CrashingProducer(real, point, transaction, batchSize, checkpointTopic, crashed) : real;
        };
    }

    private final Producer<String, byte[]> real;
    private final Point point;
    private final int crashTransaction;
    private final int batchSize;
    private final String checkpointTopic;
    private final AtomicBoolean crashed;
    private int transaction;
    private int eventsSent;

    private CrashingProducer(Producer<String, byte[]> real, Point point, int crashTransaction, int batchSize,
                             String checkpointTopic, AtomicBoolean crashed) {
        this.real = real;
        this.point = point;
        this.crashTransaction = crashTransaction;
        this.batchSize = batchSize;
        this.checkpointTopic = checkpointTopic;
        this.crashed = crashed;
    }

    private void crashIf(Point here) {
        if (here == point && transaction == crashTransaction && !crashed.get()) {
            real.close(Duration.ZERO);
            crashed.set(true);
            throw new SimulatedCrash(here, transaction);
        }
    }

    @Override
    public void initTransactions() {
        real.initTransactions();
    }

    @Override
    public void beginTransaction() {
        real.beginTransaction();
        transaction++;
        eventsSent = 0;
        crashIf(Point.BEGUN);
    }

    @Override
    public Future<RecordMetadata> send(ProducerRecord<String, byte[]> record) {
        return send(record, null);
    }

    @Override
    public Future<RecordMetadata> send(ProducerRecord<String, byte[]> record, Callback callback) {
        Future<RecordMetadata> sent = real.send(record, callback);
        if (record.topic().equals(checkpointTopic)) {
            if (record.key() != null && !record.key().startsWith(RelayCheckpoints.TOPIC_KEY_PREFIX)) {
                crashIf(Point.CHECKPOINT_SENT);
            }
            return sent;
        }
        eventsSent++;
        if (eventsSent == 1) {
            crashIf(Point.FIRST_EVENT_SENT);
        }
        if (eventsSent == batchSize / 2) {
            crashIf(Point.MIDDLE_EVENT_SENT);
        }
        if (eventsSent == batchSize) {
            crashIf(Point.LAST_EVENT_SENT);
        }
        return sent;
    }

    @Override
    public void commitTransaction() {
        real.commitTransaction();
        crashIf(Point.COMMITTED_UNACKNOWLEDGED);
    }

    @Override
    public void abortTransaction() {
        real.abortTransaction();
    }

    @Override
    public void sendOffsetsToTransaction(Map<TopicPartition, OffsetAndMetadata> offsets, ConsumerGroupMetadata group) {
        real.sendOffsetsToTransaction(offsets, group);
    }

    @Override
    public void registerMetricForSubscription(KafkaMetric metric) {
        real.registerMetricForSubscription(metric);
    }

    @Override
    public void unregisterMetricFromSubscription(KafkaMetric metric) {
        real.unregisterMetricFromSubscription(metric);
    }

    @Override
    public void flush() {
        real.flush();
    }

    @Override
    public List<PartitionInfo> partitionsFor(String topic) {
        return real.partitionsFor(topic);
    }

    @Override
    public Map<MetricName, ? extends Metric> metrics() {
        return real.metrics();
    }

    @Override
    public Uuid clientInstanceId(Duration timeout) {
        return real.clientInstanceId(timeout);
    }

    @Override
    public void close() {
        real.close();
    }

    @Override
    public void close(Duration timeout) {
        real.close(timeout);
    }
}
