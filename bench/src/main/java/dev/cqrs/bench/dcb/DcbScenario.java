package dev.cqrs.bench.dcb;

import dev.cqrs.bench.measure.ClosedLoad;
import dev.cqrs.bench.measure.CpuCost;
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
import dev.cqrs.bench.workload.Meter;
import dev.cqrs.bench.workload.MeterCommand;
import dev.cqrs.bench.workload.MeterEvent;
import dev.cqrs.bench.workload.MeterState;
import dev.cqrs.bench.workload.MeterStore;
import dev.cqrs.bench.workload.RawEventTable;
import dev.cqrs.bench.workload.Readings;
import dev.cqrs.codec.json.JsonEventCodec;
import dev.cqrs.core.AppendResult;
import dev.cqrs.core.Before;
import dev.cqrs.core.CommandMetadata;
import dev.cqrs.core.EntityStore;
import dev.cqrs.core.EventStore;
import dev.cqrs.core.Precondition;
import dev.cqrs.core.PreconditionFailedException;
import dev.cqrs.core.Since;
import dev.cqrs.core.Version;
import dev.cqrs.core.VersionedEventWithMetadata;
import dev.cqrs.core.codec.EventCodec;
import dev.cqrs.core.dcb.AppendCondition;
import dev.cqrs.core.dcb.AppendConditionFailedException;
import dev.cqrs.core.dcb.DcbEventStore;
import dev.cqrs.core.dcb.DecisionResult;
import dev.cqrs.core.dcb.Decisions;
import dev.cqrs.core.dcb.MatchingEvents;
import dev.cqrs.core.dcb.Query;
import dev.cqrs.core.entity.CompositeEntityStore;
import dev.cqrs.embedded.postgres.TestDatabase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Issue 17's figures: dynamic consistency boundaries beside aggregates, on the same store.
 *
 * <ul>
 *   <li>{@code dcb-decision}: a DCB decision (read the meter's events by tag, decide, append on
 *       condition) from 8 clients on disjoint meters, against our one-event aggregate command on the
 *       same kind of meters (the {@code append} scenario's ours). Target 0.8.</li>
 *   <li>{@code dcb-contention} and {@code dcb-conflicts}: the same, with all clients deciding on the same
 *       meter (ten decisions a meter), against aggregate commands on one shared aggregate: successful
 *       operations and conflicts per second.</li>
 *   <li>{@code dcb-scaling}: how 8 clients on disjoint meters scale over 1, against the same for
 *       aggregates. Target 0.8.</li>
 *   <li>{@code dcb-untagged-insert}: raw inserts of untagged rows into the events table with the tags
 *       column and its partial index (V3), against the table before it (V1): what tags cost appends that
 *       do not use them. {@code dcb-tagged-append}: our append of a tagged event (a transaction with its
 *       consistency locks) against an untagged one.</li>
 *   <li>{@code dcb-index-read} and {@code dcb-index-insert}: the index choice, on raw SQL (see
 *       {@link TagIndexes}).</li>
 * </ul>
 */
public final class DcbScenario implements Scenario {

    static final Metric DECISIONS = Metric.throughput("operations/s");
    static final Metric CONFLICTS = Metric.throughput("conflicts/s");
    static final Metric SCALING = Metric.throughput("x (8 clients / 1)");
    static final Metric INSERTS = Metric.throughput("inserts/s");
    static final Metric READS = Metric.throughput("reads/s");
    private static final Duration MEASURED = Duration.ofSeconds(3);
    private static final Duration WARM_UP = Duration.ofSeconds(2);
    private static final int RETRIES = 50;
    private static final String DCB_TYPE = "tmeter";
    private static final EventCodec<TaggedMeterEvent> CODEC = JsonEventCodec.of(TaggedMeterEvent.class);

    @Override
    public String name() {
        return "dcb";
    }

    @Override
    public String description() {
        return "DCB decisions (read by tag, decide, conditional append) beside one-event aggregate commands: 8 clients"
                + " disjoint and contended, scaling, the cost of tags on untagged appends, and the tag index";
    }

    @Override
    public List<Comparison> run(BenchContext context) throws Exception {
        TestDatabase database = context.newDatabase("bench_dcb");
        List<Comparison> comparisons = new ArrayList<>();
        try (MeterStore ours = MeterStore.open(database)) {
            Counting dcb = new Counting(ours.store().dcb(DCB_TYPE, CODEC));
            CountingEvents events = new CountingEvents(ours.events());
            Decisions<Long, MeterReadings.Take, TaggedMeterEvent> decisions = Decisions.of(new MeterReadings(), dcb);
            Decisions<Long, MeterReadings.Take, TaggedMeterEvent> retrying = decisions.retryOnConflict(RETRIES);
            EntityStore<MeterState, MeterCommand, MeterEvent> meters = ours.meters();
            EntityStore<MeterState, MeterCommand, MeterEvent> retryingMeters = CompositeEntityStore.builder(new Meter(), events)
                    .retryOnConflict(RETRIES).build();

            comparisons.addAll(decisionAgainstCommand(context, database, ours, decisions, meters));
            comparisons.addAll(contention(context, database, dcb, events, retrying, retryingMeters));
            comparisons.add(scaling(context, database, ours, decisions, meters));
            comparisons.addAll(appendCosts(context, database, ours));
        }
        comparisons.addAll(indexChoice(context, database));
        return comparisons;
    }

    private List<Comparison> decisionAgainstCommand(BenchContext context, TestDatabase database, MeterStore ours,
                                                    Decisions<Long, MeterReadings.Take, TaggedMeterEvent> decisions,
                                                    EntityStore<MeterState, MeterCommand, MeterEvent> meters) throws Exception {
        Side decision = new Side("ours, DCB decision", round -> throughput(context, database, round, context.clients(),
                (client, index) -> decide(decisions, "d" + round.tag(), client, index)));
        Side command = new Side("ours, aggregate command", round -> throughput(context, database, round, context.clients(),
                (client, index) -> ours.recordReading(meters, "a" + round.tag(), client, index)));
        List<Figures> figures = Rounds.run(context, "dcb-decision", DECISIONS, List.of(decision, command));
        return List.of(new Comparison("dcb-decision", context.clients() + " clients on meters of their own, "
                + Readings.COMMANDS_PER_AGGREGATE + " operations a meter; ours: Decisions.execute (read the meter's events"
                + " by tag with its consistency locks, decide, append one event on condition, in a transaction with its"
                + " locks); baseline: EntityStore.execute of the aggregate's one-event command (load, decide, append with"
                + " ExpectedVersion)", DECISIONS, figures.get(0), figures.get(1), Optional.of(Target.atLeast(0.8))));
    }

    private List<Comparison> contention(BenchContext context, TestDatabase database, Counting dcb, CountingEvents events,
                                        Decisions<Long, MeterReadings.Take, TaggedMeterEvent> decisions,
                                        EntityStore<MeterState, MeterCommand, MeterEvent> meters) throws Exception {
        List<Double> dcbConflicts = new ArrayList<>();
        List<Double> aggregateConflicts = new ArrayList<>();
        Side decision = new Side("ours, DCB decision", round -> {
            AtomicLong shared = new AtomicLong();
            long before = dcb.conflicts.get();
            Rounds.Run run = Rounds.closedLoad(context, database, "dcb-contention", round, context.clients(), MEASURED,
                    WARM_UP, (client, index) -> {
                        long n = shared.getAndIncrement();
                        decideOn(decisions, "h" + round.tag() + "-" + n / Readings.COMMANDS_PER_AGGREGATE, client, n);
                    });
            record(round, dcbConflicts, (dcb.conflicts.get() - before) * 1e9 / run.result().elapsedNanos());
            return Measurement.throughput(run, 1);
        });
        Side command = new Side("ours, aggregate command", round -> {
            AtomicLong shared = new AtomicLong();
            long before = events.conflicts.get();
            Rounds.Run run = Rounds.closedLoad(context, database, "dcb-contention", round, context.clients(), MEASURED,
                    WARM_UP, (client, index) -> {
                        long n = shared.getAndIncrement();
                        String id = "h" + round.tag() + "-" + n / Readings.COMMANDS_PER_AGGREGATE;
                        MeterStore.accepted(id, meters.execute(id,
                                new MeterCommand.RecordReading(Readings.reading(client, n)), CommandMetadata.create()));
                    });
            record(round, aggregateConflicts, (events.conflicts.get() - before) * 1e9 / run.result().elapsedNanos());
            return Measurement.throughput(run, 1);
        });
        List<Figures> figures = Rounds.run(context, "dcb-contention", DECISIONS, List.of(decision, command));
        String how = context.clients() + " clients on the same meter, " + Readings.COMMANDS_PER_AGGREGATE
                + " operations a meter, each retried on conflict up to " + RETRIES + " times";
        return List.of(
                new Comparison("dcb-contention", how + "; ours: DCB decisions that succeeded; baseline: aggregate"
                        + " commands that succeeded", DECISIONS, figures.get(0), figures.get(1), Optional.empty()),
                new Comparison("dcb-conflicts", how + "; ours: appends refused by their append condition, per second;"
                        + " baseline: appends refused by ExpectedVersion, per second (fewer is better: read the figures,"
                        + " the ratio is ours / baseline as for any throughput)", CONFLICTS,
                        like(figures.get(0), dcbConflicts), like(figures.get(1), aggregateConflicts), Optional.empty()));
    }

    private Comparison scaling(BenchContext context, TestDatabase database, MeterStore ours,
                               Decisions<Long, MeterReadings.Take, TaggedMeterEvent> decisions,
                               EntityStore<MeterState, MeterCommand, MeterEvent> meters) throws Exception {
        Side decision = new Side("ours, DCB decisions", round -> speedUp(context, database, round,
                (tag, client, index) -> decide(decisions, tag, client, index)));
        Side command = new Side("ours, aggregate commands", round -> speedUp(context, database, round,
                (tag, client, index) -> ours.recordReading(meters, tag, client, index)));
        List<Figures> figures = Rounds.run(context, "dcb-scaling", SCALING, List.of(decision, command));
        return new Comparison("dcb-scaling", "throughput with " + context.clients() + " clients on disjoint meters over"
                + " throughput with 1; ours: DCB decisions (disjoint queries); baseline: aggregate commands (disjoint"
                + " aggregates)", SCALING, figures.get(0), figures.get(1), Optional.of(Target.atLeast(0.8)));
    }

    private List<Comparison> appendCosts(BenchContext context, TestDatabase database, MeterStore ours) throws Exception {
        try (RawEventTable v3 = RawEventTable.create(database, "raw_v3");
             RawEventTable v1 = RawEventTable.createAtVersion(database, "raw_v1", "1")) {
            EventStore<TaggedMeterEvent> tagged = ours.store().events("tagged" + DCB_TYPE, CODEC);
            Side rawV3 = new Side("raw insert, events with tags (V3)", round -> throughput(context, database, round,
                    context.clients(), (client, index) -> v3.insert(List.of(rawRow(round, client, index)))));
            Side rawV1 = new Side("raw insert, events before tags (V1)", round -> throughput(context, database, round,
                    context.clients(), (client, index) -> v1.insert(List.of(rawRow(round, client, index)))));
            Side taggedAppend = new Side("ours, tagged append", round -> throughput(context, database, round,
                    context.clients(), (client, index) -> {
                        String id = Readings.commandTarget("t" + round.tag(), client, index);
                        tagged.append(id, List.of(TaggedMeterEvent.ReadingTaken.of(id, Readings.reading(client, index))),
                                Optional.of(Precondition.expectedVersion(Readings.commandSequence(index) - 1)),
                                CommandMetadata.create());
                    }));
            Side untaggedAppend = new Side("ours, untagged append", round -> throughput(context, database, round,
                    context.clients(), (client, index) -> ours.appendReading("u" + round.tag(), client, index)));
            List<Figures> figures = Rounds.run(context, "dcb-appends", INSERTS,
                    List.of(rawV3, rawV1, taggedAppend, untaggedAppend));
            return List.of(
                    new Comparison("dcb-untagged-insert", context.clients() + " clients; raw autocommitted single-row INSERTs"
                            + " of the same untagged rows; ours: into the events table with the tags column (NULL) and its"
                            + " partial GIN index; baseline: into the events table as migration V1 made it. Untagged appends"
                            + " take no lock, so this is all that tags cost them", INSERTS, figures.get(0), figures.get(1),
                            Optional.of(Target.atLeast(0.9))),
                    new Comparison("dcb-tagged-append", context.clients() + " clients; EventStore.append of one event with"
                            + " ExpectedVersion; ours: a tagged event (a transaction: its consistency locks, then the insert);"
                            + " baseline: an untagged event (one autocommitted statement)", INSERTS, figures.get(2),
                            figures.get(3), Optional.empty()));
        }
    }

    private List<Comparison> indexChoice(BenchContext context, TestDatabase database) throws Exception {
        int events = Math.max(10_000, context.scaled(200_000, 10_000) / 1_000 * 1_000);
        context.progress("  dcb-index: filling both layouts with %,d tagged events", events);
        try (TagIndexes indexes = TagIndexes.create(database, events, CODEC)) {
            Side ginRead = new Side("GIN, fastupdate off (V3)", round -> throughput(context, database, round, context.clients(),
                    (client, index) -> indexes.readWithGin(client * 1_000_003L + index)));
            Side pendingRead = new Side("GIN, fastupdate on", round -> throughput(context, database, round, context.clients(),
                    (client, index) -> indexes.readWithPendingList(client * 1_000_003L + index)));
            Side sideRead = new Side("b-tree side table", round -> throughput(context, database, round, context.clients(),
                    (client, index) -> indexes.readWithSideTable(client * 1_000_003L + index)));
            List<Figures> reads = Rounds.run(context, "dcb-index-read", READS, List.of(ginRead, pendingRead, sideRead));
            Side ginInsert = new Side("GIN, fastupdate off (V3)", round -> throughput(context, database, round, context.clients(),
                    (client, index) -> indexes.insertWithGin("g" + round.tag() + "-" + client + "-" + index)));
            Side pendingInsert = new Side("GIN, fastupdate on", round -> throughput(context, database, round, context.clients(),
                    (client, index) -> indexes.insertWithPendingList("p" + round.tag() + "-" + client + "-" + index)));
            Side sideInsert = new Side("b-tree side table", round -> throughput(context, database, round, context.clients(),
                    (client, index) -> indexes.insertWithSideTable("s" + round.tag() + "-" + client + "-" + index)));
            List<Figures> inserts = Rounds.run(context, "dcb-index-insert", INSERTS, List.of(ginInsert, pendingInsert, sideInsert));
            String layouts = String.format("%,d tagged events, %d a tag, raw SQL; ours: events.tags text[] with the partial"
                    + " GIN index of V3 (fastupdate off)", events, TagIndexes.PER_TAG);
            String sideTable = "; baseline: a table of (aggregate type, tag, position) rows with a b-tree key";
            String pending = "; baseline: the same GIN index with fastupdate on (PostgreSQL's default: a pending list)";
            String read = context.clients() + " clients read one tag's events in log order; ";
            String insert = context.clients() + " clients insert one tagged event each (autocommitted; the side table's"
                    + " row in the same statement); ";
            return List.of(
                    new Comparison("dcb-index-read", read + layouts + sideTable, READS, reads.get(0), reads.get(2),
                            Optional.empty()),
                    new Comparison("dcb-index-read-fastupdate", read + layouts + pending, READS, reads.get(0), reads.get(1),
                            Optional.empty()),
                    new Comparison("dcb-index-insert", insert + layouts + sideTable, INSERTS, inserts.get(0), inserts.get(2),
                            Optional.empty()),
                    new Comparison("dcb-index-insert-fastupdate", insert + layouts + pending, INSERTS, inserts.get(0),
                            inserts.get(1), Optional.empty()));
        }
    }

    private static RawEventTable.Row rawRow(Round round, int client, long index) {
        return new RawEventTable.Row(Meter.TYPE, Readings.commandTarget("r" + round.tag(), client, index),
                Readings.commandSequence(index), MeterStore.CODEC.encode(Readings.reading(client, index)));
    }

    /** One decision on the client's meter of the moment; it must be accepted. */
    private static void decide(Decisions<Long, MeterReadings.Take, TaggedMeterEvent> decisions, String tag, int client,
                               long index) {
        decideOn(decisions, Readings.commandTarget(tag, client, index), client, index);
    }

    private static void decideOn(Decisions<Long, MeterReadings.Take, TaggedMeterEvent> decisions, String meter, int client,
                                 long index) {
        DecisionResult<Long, TaggedMeterEvent> result = decisions.execute(
                new MeterReadings.Take(TaggedMeterEvent.ReadingTaken.of(meter, Readings.reading(client, index))),
                CommandMetadata.create());
        if (!(result instanceof DecisionResult.Accepted<Long, TaggedMeterEvent>)) {
            throw new IllegalStateException("the decision on meter " + meter + " was not accepted: " + result);
        }
    }

    private static Measurement throughput(BenchContext context, TestDatabase database, Round round, int clients,
                                          ClosedLoad.Operation operation) {
        return Measurement.throughput(Rounds.closedLoad(context, database, "dcb", round, clients, MEASURED, WARM_UP,
                operation), 1);
    }

    /** An operation on the meters of a run of its own ({@code tag}). */
    @FunctionalInterface
    private interface TaggedOperation {
        void run(String tag, int client, long index) throws Exception;
    }

    /** Throughput with all clients over throughput with one, each on meters of its own. */
    private static Measurement speedUp(BenchContext context, TestDatabase database, Round round, TaggedOperation operation) {
        Rounds.Run one = Rounds.closedLoad(context, database, "dcb-scaling-1", round, 1, MEASURED, WARM_UP,
                (client, index) -> operation.run("s1" + round.tag(), client, index));
        Rounds.Run all = Rounds.closedLoad(context, database, "dcb-scaling-n", round, context.clients(), MEASURED, WARM_UP,
                (client, index) -> operation.run("sn" + round.tag(), client, index));
        return new Measurement(all.result().operationsPerSecond() / one.result().operationsPerSecond(),
                all.result().latencies(), all.cpu());
    }

    private static void record(Round round, List<Double> values, double value) {
        if (!round.isWarmUp()) {
            values.add(value);
        }
    }

    /** Other values measured in the same runs as {@code figures}: its latencies, no CPU of their own. */
    private static Figures like(Figures figures, List<Double> values) {
        return new Figures(figures.label(), List.copyOf(values), figures.latencies(),
                values.stream().map(v -> CpuCost.UNKNOWN).toList());
    }

    /** The DCB store, counting the appends its condition refused. */
    private static final class Counting implements DcbEventStore<TaggedMeterEvent> {
        final DcbEventStore<TaggedMeterEvent> store;
        final AtomicLong conflicts = new AtomicLong();

        Counting(DcbEventStore<TaggedMeterEvent> store) {
            this.store = store;
        }

        @Override
        public String aggregateType() {
            return store.aggregateType();
        }

        @Override
        public MatchingEvents<TaggedMeterEvent> read(Query query, long after, int maxCount) {
            return store.read(query, after, maxCount);
        }

        @Override
        public AppendResult append(String aggregateId, List<? extends TaggedMeterEvent> events,
                                   Optional<Precondition> precondition, Optional<AppendCondition> condition,
                                   CommandMetadata metadata) {
            try {
                return store.append(aggregateId, events, precondition, condition, metadata);
            } catch (AppendConditionFailedException e) {
                conflicts.incrementAndGet();
                throw e;
            }
        }

        @Override
        public Optional<AppendResult> findAppend(String idempotencyKey) {
            return store.findAppend(idempotencyKey);
        }
    }

    /** The aggregate's event store, counting the appends a stale expected version refused. */
    private static final class CountingEvents implements EventStore<MeterEvent> {
        final EventStore<MeterEvent> store;
        final AtomicLong conflicts = new AtomicLong();

        CountingEvents(EventStore<MeterEvent> store) {
            this.store = store;
        }

        @Override
        public String aggregateType() {
            return store.aggregateType();
        }

        @Override
        public List<VersionedEventWithMetadata<MeterEvent>> readEvents(String aggregateId, Since since,
                                                                                   int maxCount) {
            return store.readEvents(aggregateId, since, maxCount);
        }

        @Override
        public List<VersionedEventWithMetadata<MeterEvent>> readEventsBackward(String aggregateId,
                                                                                           Before before,
                                                                                           int maxCount) {
            return store.readEventsBackward(aggregateId, before, maxCount);
        }

        @Override
        public Optional<Version> currentVersion(String aggregateId) {
            return store.currentVersion(aggregateId);
        }

        @Override
        public AppendResult append(String aggregateId, List<? extends MeterEvent> events, Optional<Precondition> precondition,
                                   CommandMetadata metadata) {
            try {
                return store.append(aggregateId, events, precondition, metadata);
            } catch (PreconditionFailedException e) {
                conflicts.incrementAndGet();
                throw e;
            }
        }

        @Override
        public Optional<AppendResult> findAppend(String idempotencyKey) {
            return store.findAppend(idempotencyKey);
        }
    }
}
