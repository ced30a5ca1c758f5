package dev.cqrs.bench.rehydrate;

import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.zaxxer.hikari.HikariDataSource;
import dev.cqrs.bench.scenario.BenchContext;
import dev.cqrs.bench.scenario.Comparison;
import dev.cqrs.bench.scenario.Figures;
import dev.cqrs.bench.scenario.Metric;
import dev.cqrs.bench.scenario.Rounds;
import dev.cqrs.bench.scenario.Rounds.Side;
import dev.cqrs.bench.scenario.Scenario;
import dev.cqrs.bench.workload.Meter;
import dev.cqrs.bench.workload.MeterCommand;
import dev.cqrs.bench.workload.MeterEvent;
import dev.cqrs.bench.workload.MeterState;
import dev.cqrs.bench.workload.MeterStore;
import dev.cqrs.bench.workload.Pools;
import dev.cqrs.core.EntityStore;
import dev.cqrs.core.HydratedAggregate;
import dev.cqrs.core.SnapshotStrategy;
import dev.cqrs.embedded.postgres.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Loads one aggregate of 10,000 events, three ways, one client at a time:
 * <ul>
 *   <li>ours, without snapshots: {@code EntityStore.rehydrate} reads every event with its metadata
 *       (in pages of 5,000), decodes it with the JSON codec and applies it;</li>
 *   <li>the raw baseline: one plain JDBC SELECT of the payloads in order, Jackson, and the same fold;</li>
 *   <li>ours with snapshots, taken every {@value #SNAPSHOT_DISTANCE} events: the latest snapshot is
 *       {@value #SNAPSHOT_DISTANCE}/2 events behind the head, the average distance under that
 *       strategy, so a load reads the snapshot and 50 events.</li>
 * </ul>
 * Every load's state is checked against the expected one.
 */
public final class RehydrateScenario implements Scenario {

    static final int EVENTS = 10_000;
    static final int SNAPSHOT_DISTANCE = 100;
    static final Metric METRIC = Metric.time("ms per load");
    private static final Duration MEASURED = Duration.ofSeconds(3);
    private static final Duration WARM_UP = Duration.ofSeconds(2);
    private static final String AGGREGATE_ID = "rehydrate-1";

    @Override
    public String name() {
        return "rehydrate";
    }

    @Override
    public String description() {
        return "load a 10,000-event aggregate without snapshots (vs raw JDBC + Jackson) and with snapshots";
    }

    @Override
    public List<Comparison> run(BenchContext context) throws Exception {
        int events = context.scaled(EVENTS, 2 * SNAPSHOT_DISTANCE);
        TestDatabase database = context.newDatabase("bench_rehydrate");
        try (MeterStore ours = MeterStore.open(database);
             HikariDataSource rawPool = Pools.hikari(database, "raw-read", true)) {
            MeterState expected = ours.writeStream(AGGREGATE_ID, events, OptionalLong.of(events - SNAPSHOT_DISTANCE / 2));
            EntityStore<MeterState, MeterCommand, MeterEvent> plain = ours.meters();
            EntityStore<MeterState, MeterCommand, MeterEvent> snapshotted =
                    ours.meters(SnapshotStrategy.every(SNAPSHOT_DISTANCE));
            ObjectReader reader = JsonMapper.builder().build().readerFor(MeterEvent.ReadingRecorded.class);

            Side oursSide = Rounds.timedLoads(context, database, "ours", MEASURED, WARM_UP, expected,
                    () -> plain.rehydrate(AGGREGATE_ID).map(HydratedAggregate::state).orElseThrow());
            Side rawSide = Rounds.timedLoads(context, database, "raw JDBC + Jackson", MEASURED, WARM_UP, expected,
                    () -> rawLoad(rawPool, reader));
            Side snapshotSide = Rounds.timedLoads(context, database, "ours with snapshots", MEASURED, WARM_UP,
                    expected, () -> snapshotted.rehydrate(AGGREGATE_ID).map(HydratedAggregate::state).orElseThrow());
            List<Figures> figures = Rounds.run(context, name(), METRIC, List.of(oursSide, rawSide, snapshotSide));

            String aggregate = String.format("one aggregate of %,d events (~200-byte JSON each), one client", events);
            return List.of(
                    new Comparison("rehydrate", aggregate + "; ours: EntityStore.rehydrate without snapshots;"
                            + " raw: one JDBC SELECT of the payloads + Jackson + the same fold",
                            METRIC, figures.get(0), figures.get(1), Optional.empty()),
                    new Comparison("rehydrate-snapshot", aggregate + "; ours with a snapshot " + SNAPSHOT_DISTANCE / 2
                            + " events behind the head (SnapshotStrategy.every(" + SNAPSHOT_DISTANCE + "))"
                            + " vs ours replaying every event",
                            METRIC, figures.get(2), figures.get(0), Optional.empty()));
        }
    }

    private static MeterState rawLoad(HikariDataSource pool, ObjectReader reader) {
        String sql = "SELECT payload FROM cqrs.events WHERE aggregate_type = ? AND aggregate_id = ? ORDER BY sequence";
        try (Connection connection = pool.getConnection(); PreparedStatement ps = connection.prepareStatement(sql)) {
            ps.setString(1, Meter.TYPE);
            ps.setString(2, AGGREGATE_ID);
            try (ResultSet rs = ps.executeQuery()) {
                MeterState state = MeterState.EMPTY;
                while (rs.next()) {
                    state = state.with(reader.readValue(rs.getBytes(1)));
                }
                return state;
            }
        } catch (Exception e) {
            throw new IllegalStateException("raw load of " + AGGREGATE_ID + " failed", e);
        }
    }
}
