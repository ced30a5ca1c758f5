package dev.cqrs.bench.replay;

import com.zaxxer.hikari.HikariDataSource;
import dev.cqrs.bench.kafka.BenchProjectors;
import dev.cqrs.bench.kafka.BenchRelays;
import dev.cqrs.bench.kafka.BenchTopics;
import dev.cqrs.bench.measure.CpuClock;
import dev.cqrs.bench.measure.CpuCost;
import dev.cqrs.bench.measure.LatencySample;
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
import dev.cqrs.bench.workload.MeterEvent;
import dev.cqrs.bench.workload.MeterStore;
import dev.cqrs.bench.workload.MeterTotals;
import dev.cqrs.bench.workload.Pools;
import dev.cqrs.embedded.kafka.KafkaBroker;
import dev.cqrs.embedded.postgres.TestDatabase;
import dev.cqrs.outbox.Relay;
import dev.cqrs.outbox.RelayConfig;
import dev.cqrs.projector.Projector;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Issue 8's scenario 6 (issue 6's performance section): replaying a topic into a PostgreSQL read model.
 *
 * <p>A backlog (100,000 events at scale 1; {@code --events} sets it, issue 8's full size is
 * 1,000,000; {@value Backlog#EVENTS_PER_AGGREGATE} readings per meter) is written to the store and
 * published by the relay first, not timed. Ours, each round: a fresh projection (a name of the round's
 * own, so a first generation with empty tables and no committed offsets) started with
 * {@code Projector.builder(...).projection(...).start()}, timed until {@code readYourWrites()} reports
 * the log's head position reached: Kafka Streams' start-up, the consumption of every record, decoding,
 * the handler and the PostgreSQL writes with positions. The baseline: raw JDBC batch upserts of the
 * same rows (the same statement as the projection's handler) into a fresh table of the same shape, in
 * transactions of the projector's batch size ({@code projector.batch.max.events}), one
 * {@code executeBatch} each, from rows built in memory: no Kafka and no decoding.
 * {@code reWriteBatchedInserts} stays off on both sides: a multi-row upsert fails when a batch holds
 * one meter twice, and it does.
 */
public final class ReplayScenario implements Scenario {

    static final int BACKLOG = 100_000;
    static final Metric THROUGHPUT = Metric.throughput("events/s");
    private static final int WARM_UP_EVENTS = 30_000;
    private static final String TAG = "rply";

    @Override
    public String name() {
        return "replay";
    }

    @Override
    public String description() {
        return "replay of a topic into a PostgreSQL read model by a fresh projection vs raw JDBC batch upserts of the"
                + " same rows";
    }

    @Override
    public List<Comparison> run(BenchContext context) throws Exception {
        KafkaBroker kafka = context.kafka();
        int events = context.backlog(BACKLOG, 2_000);
        int batch = BenchProjectors.batchMaxEvents();
        TestDatabase database = context.newDatabase("bench_replay");
        RelayConfig relayConfig = BenchRelays.config(kafka, "bench-replay");
        String topic = relayConfig.topicOf(Meter.TYPE);
        BenchTopics.create(kafka, topic);
        try (MeterStore store = MeterStore.open(database);
             HikariDataSource rawPool = Pools.hikari(database, "raw-replay", false)) {
            long started = System.nanoTime();
            Backlog.write(store, TAG, events, context.clients());
            long head = store.store().globalLog().headPosition();
            try (Relay relay = Relay.start(store.store(), relayConfig)) {
                BenchRelays.awaitPublished(relay, head, Duration.ofSeconds(60));
            }
            context.progress("  replay: wrote and published a backlog of %,d events in %.1f s (not timed)", events,
                    (System.nanoTime() - started) / 1e9);
            long warmUpHead = positionOf(database, WARM_UP_EVENTS);

            Side oursSide = new Side("ours", round -> {
                String projection = "replay_" + round.tag();
                int count = round.isWarmUp() ? Math.min(events, WARM_UP_EVENTS) : events;
                long target = round.isWarmUp() && events > WARM_UP_EVENTS ? warmUpHead : head;
                context.checkpoint(database.dataSource());
                CpuClock.Reading before = context.cpuClock().read();
                long start = System.nanoTime();
                long elapsed;
                CpuCost cpu;
                try (Projector projector = Projector.builder(BenchProjectors.config(kafka, database, "bench-replay"))
                        .projection(MeterTotals.projection(projection, topic)).start()) {
                    if (!projector.readYourWrites().awaitPosition(projection, target, Duration.ofMinutes(10))) {
                        throw new IllegalStateException(projection + " did not reach position " + target + " in 10 minutes");
                    }
                    elapsed = System.nanoTime() - start;
                    // Read before the projector closes its pool: a backend that exits takes its CPU time with it.
                    cpu = CpuCost.between(before, context.cpuClock().read(), count);
                }
                if (!round.isWarmUp()) {
                    check(database, projection + "_g1." + MeterTotals.TABLE, count);
                }
                drop(database, projection + "_g1");
                return new Measurement(count * 1e9 / elapsed, LatencySample.empty(), cpu);
            });
            Side rawSide = new Side("raw JDBC batch upserts", round -> {
                String schema = "raw_replay_" + round.tag();
                String table = schema + "." + MeterTotals.TABLE;
                int count = round.isWarmUp() ? Math.min(events, WARM_UP_EVENTS) : events;
                try (Connection c = rawPool.getConnection(); Statement s = c.createStatement()) {
                    s.execute("CREATE SCHEMA " + schema);
                    s.execute(MeterTotals.ddl(table));
                    c.commit();
                }
                context.checkpoint(database.dataSource());
                CpuClock.Reading before = context.cpuClock().read();
                long start = System.nanoTime();
                try (Connection c = rawPool.getConnection(); PreparedStatement ps = c.prepareStatement(MeterTotals.upsert(table))) {
                    for (int first = 0; first < count; first += batch) {
                        for (int i = first; i < Math.min(count, first + batch); i++) {
                            MeterEvent.ReadingRecorded reading = Backlog.reading(i);
                            ps.setString(1, Backlog.aggregateId(TAG, i));
                            ps.setLong(2, reading.amount());
                            ps.setString(3, reading.source());
                            ps.setLong(4, Backlog.baselinePosition(i));
                            ps.addBatch();
                        }
                        ps.executeBatch();
                        c.commit();
                    }
                }
                long elapsed = System.nanoTime() - start;
                CpuCost cpu = CpuCost.between(before, context.cpuClock().read(), count);
                check(database, table, count);
                drop(database, schema);
                return new Measurement(count * 1e9 / elapsed, LatencySample.empty(), cpu);
            });
            List<Figures> figures = Rounds.run(context, "replay", THROUGHPUT, List.of(oursSide, rawSide));
            return List.of(new Comparison("replay", String.format(Locale.ROOT,
                    "%,d events (%,d meters) into a fresh read model, one row per meter; ours: a fresh PostgresProjection"
                            + " (Kafka Streams, exactly_once_v2, the projector's defaults) from Projector start until"
                            + " readYourWrites reports the head; raw: the same upserts from memory, executeBatch of %,d and"
                            + " a commit each, one connection", events, events / Backlog.EVENTS_PER_AGGREGATE, batch),
                    THROUGHPUT, figures.get(0), figures.get(1), Optional.of(Target.atLeast(0.5))));
        }
    }

    /** The global position of the {@code n}th event of the log. */
    private static long positionOf(TestDatabase database, int n) throws Exception {
        try (Connection c = database.dataSource().getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT global_position FROM cqrs.events ORDER BY global_position"
                     + " OFFSET ? LIMIT 1")) {
            ps.setInt(1, n - 1);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getLong(1) : Long.MAX_VALUE;
            }
        }
    }

    /** Every event was applied once: the readings of all rows add up to the events. */
    private static void check(TestDatabase database, String table, int events) throws Exception {
        try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT coalesce(sum(readings), 0) FROM " + table)) {
            rs.next();
            if (rs.getLong(1) != events) {
                throw new IllegalStateException(table + " holds " + rs.getLong(1) + " readings, expected " + events);
            }
        }
    }

    private static void drop(TestDatabase database, String schema) throws Exception {
        try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA " + schema + " CASCADE");
        }
    }
}
