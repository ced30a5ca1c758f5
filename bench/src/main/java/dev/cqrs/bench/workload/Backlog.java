package dev.cqrs.bench.workload;

import dev.cqrs.codec.kafka.EventRecords;
import dev.cqrs.core.CommandMetadata;
import dev.cqrs.core.EventMetadata;
import dev.cqrs.core.EventNumber;
import dev.cqrs.core.Precondition;
import dev.cqrs.core.RawEvent;
import dev.cqrs.core.StreamId;
import dev.cqrs.core.codec.EncodedEvent;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * A backlog of meter readings, the same whoever handles it: event {@code i} is reading
 * {@code i % }{@value #EVENTS_PER_AGGREGATE} of aggregate {@code i / }{@value #EVENTS_PER_AGGREGATE}.
 * Our side writes it into the store (not timed) and relays or projects it; a baseline builds the same
 * events in memory ({@link #event}, {@link #record}): the same key, payload bytes and headers, so
 * the same record sizes on Kafka and the same rows in a read model.
 */
public final class Backlog {

    /** Events per aggregate: a read model of a backlog has one row per this many events. */
    public static final int EVENTS_PER_AGGREGATE = 10;
    /** A baseline's positions start here: as many digits as a store's positions, so headers are as long. */
    private static final long BASELINE_POSITIONS = 100_000L << 16;

    private Backlog() {
    }

    /** The aggregate of event {@code i}; the tag keeps backlogs apart (same length on every side). */
    public static String aggregateId(String tag, long i) {
        return "m-" + tag + "-" + i / EVENTS_PER_AGGREGATE;
    }

    /** The reading of event {@code i}. */
    public static MeterEvent.ReadingRecorded reading(long i) {
        return Readings.reading((int) (i / EVENTS_PER_AGGREGATE % 64), i);
    }

    /**
     * Writes events 0 to {@code events - 1} into the store, an aggregate's
     * {@value #EVENTS_PER_AGGREGATE} events in one append, from {@code threads} writers.
     */
    public static void write(MeterStore store, String tag, int events, int threads) throws InterruptedException {
        long aggregates = (events + EVENTS_PER_AGGREGATE - 1) / EVENTS_PER_AGGREGATE;
        AtomicLong next = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> writers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            writers.add(Thread.ofPlatform().name("backlog-writer-" + t).start(() -> {
                try {
                    for (long a = next.getAndIncrement(); a < aggregates && failure.get() == null; a = next.getAndIncrement()) {
                        long first = a * EVENTS_PER_AGGREGATE;
                        int count = (int) Math.min(EVENTS_PER_AGGREGATE, events - first);
                        List<MeterEvent> batch = new ArrayList<>(count);
                        for (int k = 0; k < count; k++) {
                            batch.add(reading(first + k));
                        }
                        store.events().append(aggregateId(tag, first), batch, Optional.of(Precondition.expectedVersion(0)),
                                CommandMetadata.create());
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }));
        }
        for (Thread writer : writers) {
            writer.join();
        }
        if (failure.get() != null) {
            throw new IllegalStateException("writing the backlog failed: " + failure.get(), failure.get());
        }
    }

    /** The global position a baseline gives event {@code i}: increasing, with as many digits as ours. */
    public static long baselinePosition(long i) {
        return BASELINE_POSITIONS + i;
    }

    /**
     * Event {@code i} as the relay would read it from the store: the same stream, sequence, payload bytes
     * and metadata shape (a random event id and correlation id, no causation, initiator or headers,
     * recorded now to the microsecond), at {@link #baselinePosition}.
     */
    public static RawEvent event(String tag, long i) {
        EncodedEvent encoded = MeterStore.CODEC.encode(reading(i));
        return new RawEvent(baselinePosition(i), StreamId.of(Meter.TYPE, aggregateId(tag, i)),
                EventNumber.of(i % EVENTS_PER_AGGREGATE + 1), encoded.eventType(), encoded.contentType(), encoded.payload(),
                metadata());
    }

    /**
     * The metadata of an event as {@code CommandMetadata.create()} leaves it in the store: a random event
     * id and correlation id, no causation, initiator or headers, recorded now to the microsecond.
     */
    public static EventMetadata metadata() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        return new EventMetadata(new UUID(random.nextLong(), random.nextLong()),
                new UUID(random.nextLong(), random.nextLong()), Optional.empty(), Optional.empty(),
                Instant.now().truncatedTo(ChronoUnit.MICROS), Map.of());
    }

    /** Event {@code i} as the record the relay would publish to {@code topic}. */
    public static ProducerRecord<String, byte[]> record(String topic, String tag, long i) {
        return EventRecords.toRecord(topic, event(tag, i));
    }
}
