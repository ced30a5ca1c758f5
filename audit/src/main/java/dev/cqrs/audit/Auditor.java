package dev.cqrs.audit;

import dev.cqrs.codec.kafka.EventRecords;
import dev.cqrs.core.RawEvent;
import dev.cqrs.postgres.GlobalLog;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.zip.CRC32C;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Compares the event store with the Kafka topics the relay publishes to, and with read models.
 *
 * <p>Built to stay fast on millions of events: the store is read once, in pages, keeping per event only
 * its position and a digest of what the topic record must carry (topic, key, type, sequence, payload);
 * each topic is read once; the two are compared after sorting primitive arrays, not in hash maps of
 * objects. Read models are folded from the same single pass over the store.
 *
 * <pre>{@code
 * AuditReport report = Auditor.builder(store.globalLog(), bootstrapServers, relayConfig::topicOf)
 *         .readModel(new TodoListAudit(dataSource))
 *         .build()
 *         .audit();
 * System.out.print(report.table());
 * }</pre>
 */
public final class Auditor {

    /** Examples kept per kind of difference. */
    public static final int SAMPLES = 20;
    private static final int PAGE = 10_000;

    private final GlobalLog log;
    private final String bootstrapServers;
    private final Function<String, String> topicOf;
    private final List<ReadModelAudit> readModels;

    private Auditor(Builder b) {
        this.log = b.log;
        this.bootstrapServers = b.bootstrapServers;
        this.topicOf = b.topicOf;
        this.readModels = List.copyOf(b.readModels);
    }

    /**
     * @param topicOf the topic of each aggregate type, as the relay names it
     */
    public static Builder builder(GlobalLog log, String bootstrapServers, Function<String, String> topicOf) {
        return new Builder(log, bootstrapServers, topicOf);
    }

    /**
     * Reads the read models, the store, then the topics, and compares them. Records published after the store
     * was read (positions above its last event) are left out, and each read model is compared with the fold of
     * the events its snapshot reflects, so a live system can be audited; events the relay has not published
     * yet do show as missing, so audit again until clean (or audit a system at rest).
     */
    public AuditReport audit() {
        // The read models first: every event a snapshot reflects was committed before it, so the store read next holds it.
        List<ReadModelSnapshot> snapshots = readModels.stream().map(ReadModelAudit::read).toList();
        Store store = readStore();
        long lastStorePosition = store.size == 0 ? 0 : store.positions[store.size - 1];
        Topics topics = readTopics(store.topics, lastStorePosition);
        if (!readModels.isEmpty()) {
            foldReadModels(snapshots, topics, lastStorePosition);
        }
        return compare(store, topics, snapshots);
    }

    /** Positions and digests, in growing arrays: millions of entries without an object each. */
    private static class Digests {
        long[] positions = new long[1 << 16];
        long[] digests = new long[1 << 16];
        int size;

        void add(long position, long digest) {
            if (size == positions.length) {
                positions = Arrays.copyOf(positions, size * 2);
                digests = Arrays.copyOf(digests, size * 2);
            }
            positions[size] = position;
            digests[size++] = digest;
        }
    }

    /** The store's side: position and digest of every event, in log order; the events per topic. */
    private static final class Store extends Digests {
        final Map<String, Long> topics = new TreeMap<>();
    }

    private Store readStore() {
        Store store = new Store();
        long last = 0;
        while (true) {
            List<RawEvent> page = log.readAfter(last, PAGE);
            if (page.isEmpty()) {
                return store;
            }
            for (RawEvent event : page) {
                String topic = topicOf.apply(event.stream().aggregateType());
                store.topics.merge(topic, 1L, Long::sum);
                store.add(event.globalPosition(), digest(topic, event));
                last = event.globalPosition();
            }
        }
    }

    /**
     * A second pass over the store, up to where the first one ended: each read model folds the events its
     * snapshot reflects. Which partition an event went to is what the topics say (a record carries its
     * position), so no partitioner is assumed.
     */
    private void foldReadModels(List<ReadModelSnapshot> snapshots, Topics topics, long lastStorePosition) {
        long[][] byPosition = sortTogether(topics.positions, topics.partitionIndexes, topics.size);
        long last = 0;
        while (last < lastStorePosition) {
            List<RawEvent> page = log.readAfter(last, PAGE);
            if (page.isEmpty()) {
                return;
            }
            for (RawEvent event : page) {
                if (event.globalPosition() > lastStorePosition) {
                    return;
                }
                int found = Arrays.binarySearch(byPosition[0], event.globalPosition());
                TopicPartition partition = found < 0 ? null : topics.partitions.get((int) byPosition[1][found]);
                for (int i = 0; i < readModels.size(); i++) {
                    if (snapshots.get(i).reflects(event.globalPosition(), partition)) {
                        readModels.get(i).accept(event);
                    }
                }
                last = event.globalPosition();
            }
        }
    }

    /** The topics' side: every record's position, digest and partition, and the order violations found while reading. */
    private static final class Topics extends Digests {
        final List<TopicPartition> partitions = new ArrayList<>();
        long[] partitionIndexes = new long[1 << 16];
        long outOfOrder;
        final List<String> outOfOrderExamples = new ArrayList<>();
        long unreadable;
        final List<String> unreadableExamples = new ArrayList<>();

        /** A record: its position and digest, and the index of its partition in {@link #partitions}. */
        void add(long position, long digest, int partitionIndex) {
            if (size == partitionIndexes.length) {
                partitionIndexes = Arrays.copyOf(partitionIndexes, size * 2);
            }
            partitionIndexes[size] = partitionIndex;
            add(position, digest);
        }
    }

    private Topics readTopics(Map<String, Long> expected, long lastStorePosition) {
        Topics topics = new Topics();
        Map<String, Object> settings = Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5_000,
                ConsumerConfig.CLIENT_ID_CONFIG, "cqrs-auditor");
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(settings, new StringDeserializer(), new ByteArrayDeserializer())) {
            for (String topic : expected.keySet()) {
                List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
                if (infos == null || infos.isEmpty()) {
                    continue;
                }
                for (PartitionInfo info : infos) {
                    readPartition(consumer, new TopicPartition(topic, info.partition()), topics, lastStorePosition);
                }
            }
        }
        return topics;
    }

    private void readPartition(KafkaConsumer<String, byte[]> consumer, TopicPartition partition, Topics topics,
                               long lastStorePosition) {
        consumer.assign(List.of(partition));
        consumer.seekToBeginning(List.of(partition));
        long end = consumer.endOffsets(List.of(partition)).get(partition);
        // Per aggregate: the highest sequence seen, and which sequences were seen (a copy of one seen before is
        // a duplicate, which the position comparison reports; only a first sighting can be out of order).
        int partitionIndex = topics.partitions.size();
        topics.partitions.add(partition);
        Map<String, long[]> lastByAggregate = new HashMap<>();
        Map<String, BitSet> seenByAggregate = new HashMap<>();
        while (consumer.position(partition) < end) {
            for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                RawEvent event;
                try {
                    event = EventRecords.fromRecord(record);
                } catch (IllegalArgumentException e) {
                    topics.unreadable++;
                    if (topics.unreadableExamples.size() < SAMPLES) {
                        topics.unreadableExamples.add(e.getMessage());
                    }
                    continue;
                }
                if (event.globalPosition() > lastStorePosition) {
                    continue; // appended after the store was read
                }
                topics.add(event.globalPosition(), digest(partition.topic(), event), partitionIndex);
                long sequence = event.sequence().value();
                long[] last = lastByAggregate.computeIfAbsent(record.key(), k -> new long[] {0, 0});
                BitSet seen = seenByAggregate.computeIfAbsent(record.key(), k -> new BitSet());
                boolean seenBefore = sequence <= Integer.MAX_VALUE && seen.get((int) sequence);
                if (sequence <= Integer.MAX_VALUE) {
                    seen.set((int) sequence);
                }
                if (seenBefore) {
                    continue;
                }
                if (sequence < last[0]) {
                    topics.outOfOrder++;
                    if (topics.outOfOrderExamples.size() < SAMPLES) {
                        topics.outOfOrderExamples.add(event.stream() + " event " + sequence + " (position " + event.globalPosition()
                                + ") came after event " + last[0] + " in " + partition + "@" + record.offset());
                    }
                } else {
                    last[0] = sequence;
                    last[1] = event.globalPosition();
                }
            }
        }
    }

    private AuditReport compare(Store store, Topics topics, List<ReadModelSnapshot> snapshots) {
        // The store's positions are in log order, so sorted; sort the topics' by position, digests alongside.
        long[][] sorted = sortTogether(topics.positions, topics.digests, topics.size);
        long[] positions = sorted[0];
        long[] digests = sorted[1];
        List<String> missing = new ArrayList<>();
        List<String> duplicated = new ArrayList<>();
        List<String> unknown = new ArrayList<>(topics.unreadableExamples);
        List<String> corrupted = new ArrayList<>();
        long missingCount = 0;
        long duplicatedCount = 0;
        long unknownCount = topics.unreadable;
        long corruptedCount = 0;
        int i = 0;
        int j = 0;
        while (i < store.size || j < positions.length) {
            if (j >= positions.length || i < store.size && store.positions[i] < positions[j]) {
                missingCount++;
                sample(missing, "position " + store.positions[i]);
                i++;
            } else if (i >= store.size || positions[j] < store.positions[i]) {
                unknownCount++;
                sample(unknown, "position " + positions[j]);
                j++;
            } else {
                if (digests[j] != store.digests[i]) {
                    corruptedCount++;
                    sample(corrupted, "position " + positions[j]);
                }
                j++;
                while (j < positions.length && positions[j] == store.positions[i]) {
                    duplicatedCount++;
                    sample(duplicated, "position " + positions[j]);
                    j++;
                }
                i++;
            }
        }
        List<AuditReport.ReadModelFinding> models = new ArrayList<>();
        for (int m = 0; m < readModels.size(); m++) {
            models.add(compare(readModels.get(m), snapshots.get(m)));
        }
        return new AuditReport(store.size, topics.size + topics.unreadable,
                new AuditReport.Finding(missingCount, missing), new AuditReport.Finding(duplicatedCount, duplicated),
                new AuditReport.Finding(unknownCount, unknown), new AuditReport.Finding(corruptedCount, corrupted),
                new AuditReport.Finding(topics.outOfOrder, topics.outOfOrderExamples), models);
    }

    private static AuditReport.ReadModelFinding compare(ReadModelAudit model, ReadModelSnapshot snapshot) {
        Map<String, String> expected = model.expectedRows();
        Map<String, String> actual = snapshot.rows();
        List<String> missing = new ArrayList<>();
        List<String> unexpected = new ArrayList<>();
        List<String> different = new ArrayList<>();
        long missingCount = 0;
        long unexpectedCount = 0;
        long differentCount = 0;
        for (Map.Entry<String, String> row : expected.entrySet()) {
            String found = actual.get(row.getKey());
            if (found == null) {
                missingCount++;
                sample(missing, row.getKey() + ": " + row.getValue());
            } else if (!found.equals(row.getValue())) {
                differentCount++;
                sample(different, row.getKey() + ": expected " + row.getValue() + ", found " + found);
            }
        }
        for (Map.Entry<String, String> row : actual.entrySet()) {
            if (!expected.containsKey(row.getKey())) {
                unexpectedCount++;
                sample(unexpected, row.getKey() + ": " + row.getValue());
            }
        }
        return new AuditReport.ReadModelFinding(model.name(), expected.size(), actual.size(),
                new AuditReport.Finding(missingCount, missing), new AuditReport.Finding(unexpectedCount, unexpected),
                new AuditReport.Finding(differentCount, different));
    }

    private static void sample(List<String> examples, String example) {
        if (examples.size() < SAMPLES) {
            examples.add(example);
        }
    }

    /** What a record must carry for an event: topic, key, event type, content type, sequence and payload. */
    private static long digest(String topic, RawEvent event) {
        CRC32C crc = new CRC32C();
        update(crc, topic);
        update(crc, event.stream().aggregateId());
        update(crc, event.eventType());
        update(crc, event.contentType());
        update(crc, Long.toString(event.sequence().value()));
        update(crc, event.metadata().eventId().toString());
        crc.update(event.payload());
        return crc.getValue() ^ ((long) event.payload().length << 32);
    }

    private static void update(CRC32C crc, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        crc.update(bytes);
        crc.update(0);
    }

    /** Sorts {@code keys[0..size)} ascending, moving {@code values} alongside; no boxing, for millions of records. */
    private static long[][] sortTogether(long[] keys, long[] values, int size) {
        long[] k = Arrays.copyOf(keys, size);
        long[] v = Arrays.copyOf(values, size);
        quicksort(k, v, 0, size - 1);
        return new long[][] {k, v};
    }

    private static void quicksort(long[] k, long[] v, int low, int high) {
        while (low < high) {
            if (high - low < 16) {
                for (int i = low + 1; i <= high; i++) {
                    for (int j = i; j > low && k[j - 1] > k[j]; j--) {
                        swap(k, v, j, j - 1);
                    }
                }
                return;
            }
            int mid = (low + high) >>> 1;
            if (k[mid] < k[low]) {
                swap(k, v, mid, low);
            }
            if (k[high] < k[low]) {
                swap(k, v, high, low);
            }
            if (k[high] < k[mid]) {
                swap(k, v, high, mid);
            }
            long pivot = k[mid];
            int i = low;
            int j = high;
            while (i <= j) {
                while (k[i] < pivot) {
                    i++;
                }
                while (k[j] > pivot) {
                    j--;
                }
                if (i <= j) {
                    swap(k, v, i++, j--);
                }
            }
            // Recurse into the smaller side, loop on the larger: the stack stays logarithmic.
            if (j - low < high - i) {
                quicksort(k, v, low, j);
                low = i;
            } else {
                quicksort(k, v, i, high);
                high = j;
            }
        }
    }

    private static void swap(long[] k, long[] v, int a, int b) {
        long t = k[a];
        k[a] = k[b];
        k[b] = t;
        t = v[a];
        v[a] = v[b];
        v[b] = t;
    }

    /** Configures an {@link Auditor}. */
    public static final class Builder {
        private final GlobalLog log;
        private final String bootstrapServers;
        private final Function<String, String> topicOf;
        private final List<ReadModelAudit> readModels = new ArrayList<>();

        private Builder(GlobalLog log, String bootstrapServers, Function<String, String> topicOf) {
            this.log = Objects.requireNonNull(log, "log");
            this.bootstrapServers = Objects.requireNonNull(bootstrapServers, "bootstrapServers");
            this.topicOf = Objects.requireNonNull(topicOf, "topicOf");
        }

        /** Also checks a read model against the fold of the store. */
        public Builder readModel(ReadModelAudit audit) {
            readModels.add(Objects.requireNonNull(audit, "audit"));
            return this;
        }

        public Auditor build() {
            return new Auditor(this);
        }
    }
}
