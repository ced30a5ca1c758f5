package dev.cqrs.bench.relay;

import dev.cqrs.bench.kafka.BenchRelays;
import dev.cqrs.bench.kafka.BenchTopics;
import dev.cqrs.bench.kafka.RawProducers;
import dev.cqrs.bench.kafka.Visibility;
import dev.cqrs.bench.measure.Arrivals;
import dev.cqrs.bench.measure.CpuClock;
import dev.cqrs.bench.measure.CpuCost;
import dev.cqrs.bench.measure.LatencySample;
import dev.cqrs.bench.measure.OpenLoad;
import dev.cqrs.bench.scenario.BenchContext;
import dev.cqrs.bench.scenario.Comparison;
import dev.cqrs.bench.scenario.Figures;
import dev.cqrs.bench.scenario.Metric;
import dev.cqrs.bench.scenario.Rounds;
import dev.cqrs.bench.scenario.Rounds.Measurement;
import dev.cqrs.bench.scenario.Rounds.Round;
import dev.cqrs.bench.scenario.Rounds.Side;
import dev.cqrs.bench.scenario.Scenario;
import dev.cqrs.bench.scenario.Target;
import dev.cqrs.bench.workload.Backlog;
import dev.cqrs.bench.workload.Meter;
import dev.cqrs.bench.workload.MeterStore;
import dev.cqrs.core.CommandMetadata;
import dev.cqrs.embedded.kafka.KafkaBroker;
import dev.cqrs.embedded.postgres.TestDatabase;
import dev.cqrs.outbox.Relay;
import dev.cqrs.outbox.RelayConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;

/**
 * Issue 8's scenario 4 (issue 5's performance section): the outbox relay to Kafka.
 *
 * <p><b>Backlog.</b> A backlog of meter readings (100,000 at scale 1; {@code --events} sets it, issue
 * 8's full size is 1,000,000) is written into the store first, not timed. Ours: kafka-outbox's
 * {@link Relay} with its defaults, timed from {@code Relay.start} (leader lock, producer,
 * {@code initTransactions}, checkpoint read) until its published position reaches the log's head. The
 * baseline: a raw transactional {@code KafkaProducer} with the relay's producer settings, timed from
 * its creation, sending the same records (the same keys, payload bytes and headers, built by
 * {@code EventRecords} as the relay builds them) in transactions of the relay's batch size, committing
 * each. Each side of each round gets fresh topics (made before, deleted after, not timed).
 *
 * <p><b>Commit to visible at 1,000 events/s.</b> An open-loop writer appends one event every
 * millisecond (on the clock, whatever the appends take); the clock starts when the append returns
 * (its commit) and stops when a {@code read_committed} consumer receives the event. Baseline: the same
 * paced records handed to a raw transactional producer that publishes whatever has arrived in one
 * transaction at a time, as the relay does, but from memory: Kafka's own share of the latency.
 */
public final class RelayScenario implements Scenario {

    static final int BACKLOG = 100_000;
    static final Metric THROUGHPUT = Metric.throughput("events/s");
    static final Metric P99 = Metric.time("ms (p99)");
    static final double RATE = 1_000;
    private static final int WARM_UP_EVENTS = 50_000;
    private static final Duration MEASURED = Duration.ofSeconds(3);
    private static final Duration WARM_UP = Duration.ofSeconds(2);
    private static final int WRITERS = 4;
    /** How long the last events of a round may take to become visible before the round fails. */
    private static final Duration SETTLE = Duration.ofSeconds(30);
    private static final String TAG = "bklg";

    @Override
    public String name() {
        return "relay";
    }

    @Override
    public String description() {
        return "the outbox relay publishing a backlog to Kafka vs a raw transactional producer; commit-to-visible"
                + " latency at 1,000 events/s";
    }

    @Override
    public List<Comparison> run(BenchContext context) throws Exception {
        KafkaBroker kafka = context.kafka();
        List<Comparison> comparisons = new ArrayList<>();
        comparisons.add(backlog(context, kafka));
        comparisons.add(latency(context, kafka));
        return comparisons;
    }

    // ---- the backlog ----

    private Comparison backlog(BenchContext context, KafkaBroker kafka) throws Exception {
        int events = context.backlog(BACKLOG, 2_000);
        int batch = BenchRelays.batchMaxEvents(kafka);
        TestDatabase database = context.newDatabase("bench_relay");
        try (MeterStore ours = MeterStore.open(database)) {
            long written = System.nanoTime();
            Backlog.write(ours, TAG, events, context.clients());
            context.progress("  relay: wrote a backlog of %,d events in %.1f s (not timed)", events,
                    (System.nanoTime() - written) / 1e9);
            long head = ours.store().globalLog().headPosition();

            Side relaySide = new Side("ours", round -> {
                RelayConfig config = BenchRelays.config(kafka, "bench-relay-" + round.tag());
                String topic = config.topicOf(Meter.TYPE);
                BenchTopics.create(kafka, topic);
                context.checkpoint(database.dataSource());
                int target = round.isWarmUp() ? Math.min(events, WARM_UP_EVENTS) : events;
                CpuClock.Reading before = context.cpuClock().read();
                long start = System.nanoTime();
                Relay relay = Relay.start(ours.store(), config);
                long published;
                long elapsed;
                CpuCost cpu;
                try {
                    if (round.isWarmUp()) {
                        awaitEventsPublished(relay, target);
                    } else {
                        BenchRelays.awaitPublished(relay, head, Duration.ofSeconds(60));
                    }
                    elapsed = System.nanoTime() - start;
                    published = relay.status().eventsPublished();
                    cpu = CpuCost.between(before, context.cpuClock().read(), published);
                } finally {
                    relay.close();
                }
                BenchTopics.delete(kafka, List.of(topic));
                return new Measurement(published * 1e9 / elapsed, LatencySample.empty(), cpu);
            });

            Side rawSide = new Side("raw transactional producer", round -> {
                String topic = "bench-relay-raw-" + round.tag() + ".events." + Meter.TYPE;
                BenchTopics.create(kafka, topic);
                context.checkpoint(database.dataSource());
                int count = round.isWarmUp() ? Math.min(events, WARM_UP_EVENTS) : events;
                CpuClock.Reading before = context.cpuClock().read();
                long start = System.nanoTime();
                KafkaProducer<String, byte[]> producer = RawProducers.transactional(kafka.bootstrapServers(),
                        "bench-raw-" + round.tag());
                long elapsed;
                try {
                    producer.initTransactions();
                    for (int first = 0; first < count; first += batch) {
                        producer.beginTransaction();
                        for (int i = first; i < Math.min(count, first + batch); i++) {
                            producer.send(Backlog.record(topic, TAG, i));
                        }
                        producer.commitTransaction();
                    }
                    elapsed = System.nanoTime() - start;
                } finally {
                    producer.close();
                }
                CpuCost cpu = CpuCost.between(before, context.cpuClock().read(), count);
                BenchTopics.delete(kafka, List.of(topic));
                return new Measurement(count * 1e9 / elapsed, LatencySample.empty(), cpu);
            });

            List<Figures> figures = Rounds.run(context, "relay", THROUGHPUT, List.of(relaySide, rawSide));
            return new Comparison("relay", String.format(
                    "a backlog of %,d events (~200-byte JSON payloads, 10 headers, 6 partitions); ours: Relay.start until"
                            + " its published position reaches the head (transactions of up to %,d events and the"
                            + " checkpoint); raw: a KafkaProducer with the relay's settings, created, initTransactions,"
                            + " the same records in transactions of %,d, each committed", events, batch, batch),
                    THROUGHPUT, figures.get(0), figures.get(1), Optional.of(Target.atLeast(0.6)));
        }
    }

    private static void awaitEventsPublished(Relay relay, long events) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (relay.status().eventsPublished() < events) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the relay published " + relay.status().eventsPublished() + " of "
                        + events + " events in 120 s; last error: " + relay.status().lastError().orElse("none"));
            }
            Thread.sleep(1);
        }
    }

    // ---- commit to visible at 1,000 events/s ----

    private Comparison latency(BenchContext context, KafkaBroker kafka) throws Exception {
        TestDatabase database = context.newDatabase("bench_relay_latency");
        RelayConfig config = BenchRelays.config(kafka, "bench-relay-latency");
        String oursTopic = config.topicOf(Meter.TYPE);
        String rawTopic = "bench-relay-latency-raw.events." + Meter.TYPE;
        BenchTopics.create(kafka, oursTopic);
        BenchTopics.create(kafka, rawTopic);
        try (MeterStore ours = MeterStore.open(database);
             Relay relay = BenchRelays.startAndCatchUp(ours.store(), config);
             RawPublisher raw = new RawPublisher(kafka, rawTopic)) {
            Side oursSide = new Side("ours", round -> {
                int n = OpenLoad.operations(RATE, context.scaled(round.isWarmUp() ? WARM_UP : MEASURED));
                long[] committedAt = new long[n];
                long[] positions = new long[n];
                try (Visibility visibility = new Visibility(kafka.bootstrapServers(), oursTopic)) {
                    context.checkpoint(database.dataSource());
                    CpuClock.Reading before = context.cpuClock().read();
                    OpenLoad.Result load = OpenLoad.run("relay-writer-" + round.tag(), WRITERS, RATE,
                            context.scaled(round.isWarmUp() ? WARM_UP : MEASURED), (k, due) -> {
                                var appended = ours.events().append("l-" + round.tag() + "-" + k,
                                        List.of(Backlog.reading(k)), Optional.empty(), CommandMetadata.create());
                                committedAt[k] = System.nanoTime();
                                positions[k] = appended.lastPosition();
                            });
                    LatencySample latencies = Arrivals.latencies(visibility, positions, committedAt, SETTLE, "Kafka");
                    CpuCost cpu = CpuCost.between(before, context.cpuClock().read(), n);
                    progressLine(context, "ours", round, load);
                    return new Measurement(latencies.percentileNanos(99) / 1e6, latencies, cpu);
                }
            });
            Side rawSide = new Side("raw transactional producer", round -> {
                int n = OpenLoad.operations(RATE, context.scaled(round.isWarmUp() ? WARM_UP : MEASURED));
                long[] committedAt = new long[n];
                long[] positions = new long[n];
                long base = raw.reserve(n);
                try (Visibility visibility = new Visibility(kafka.bootstrapServers(), rawTopic)) {
                    CpuClock.Reading before = context.cpuClock().read();
                    OpenLoad.Result load = OpenLoad.run("raw-writer-" + round.tag(), WRITERS, RATE,
                            context.scaled(round.isWarmUp() ? WARM_UP : MEASURED), (k, due) -> {
                                positions[k] = Backlog.baselinePosition(base + k);
                                committedAt[k] = System.nanoTime();
                                raw.publish(base + k);
                            });
                    LatencySample latencies = Arrivals.latencies(visibility, positions, committedAt, SETTLE, "Kafka");
                    CpuCost cpu = CpuCost.between(before, context.cpuClock().read(), n);
                    progressLine(context, "raw", round, load);
                    return new Measurement(latencies.percentileNanos(99) / 1e6, latencies, cpu);
                }
            });
            List<Figures> figures = Rounds.run(context, "relay-latency", P99, List.of(oursSide, rawSide));
            return new Comparison("relay-latency", String.format("one event every millisecond (1,000 events/s, open"
                            + " loop, %d writers), time from commit to visible to a read_committed consumer, p99 per round;"
                            + " ours: append (its commit) -> NOTIFY -> Relay reads the global log -> Kafka transaction;"
                            + " raw: the same records handed (in memory) to a transactional producer that commits what"
                            + " has arrived, one transaction at a time", WRITERS),
                    P99, figures.get(0), figures.get(1), Optional.of(Target.oursBelow(20)));
        }
    }

    private static void progressLine(BenchContext context, String side, Round round, OpenLoad.Result load) {
        if (!load.keptUp()) {
            context.progress("  relay-latency %s %s: the writers fell behind: %.0f of %.0f events/s (lateness p99 %.1f ms)",
                    side, round.tag(), load.achievedPerSecond(), load.rate(), load.lateness().percentileNanos(99) / 1e6);
        }
    }

    /**
     * The latency baseline: records handed over in memory, published by one thread in transactions of
     * whatever has arrived (up to the relay's batch size), as the relay publishes what it finds in the log.
     */
    private static final class RawPublisher implements AutoCloseable {
        private final BlockingQueue<Long> queue = new LinkedBlockingQueue<>();
        private final KafkaProducer<String, byte[]> producer;
        private final String topic;
        private final Thread thread;
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        private final int batch;
        private long reserved;
        private volatile boolean closed;

        RawPublisher(KafkaBroker kafka, String topic) {
            this.topic = topic;
            this.batch = BenchRelays.batchMaxEvents(kafka);
            this.producer = RawProducers.transactional(kafka.bootstrapServers(), "bench-raw-latency");
            producer.initTransactions();
            this.thread = Thread.ofPlatform().name("bench-raw-publisher").start(this::publishLoop);
        }

        /** Reserves {@code n} event numbers for a round; returns the first. */
        synchronized long reserve(int n) {
            long first = reserved;
            reserved += n;
            return first;
        }

        void publish(long event) {
            if (failure.get() != null) {
                throw new IllegalStateException("the raw publisher failed: " + failure.get(), failure.get());
            }
            queue.add(event);
        }

        private void publishLoop() {
            List<Long> events = new ArrayList<>();
            try {
                while (!closed) {
                    Long first = queue.poll(100, TimeUnit.MILLISECONDS);
                    if (first == null) {
                        continue;
                    }
                    events.clear();
                    events.add(first);
                    queue.drainTo(events, batch - 1);
                    producer.beginTransaction();
                    for (long event : events) {
                        producer.send(Backlog.record(topic, TAG, event));
                    }
                    producer.commitTransaction();
                }
            } catch (Throwable e) {
                failure.set(e);
            }
        }

        @Override
        public void close() throws InterruptedException {
            closed = true;
            thread.join(10_000);
            producer.close();
        }
    }
}
