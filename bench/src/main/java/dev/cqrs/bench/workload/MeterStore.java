package dev.cqrs.bench.workload;

import dev.cqrs.codec.json.JsonEventCodec;
import dev.cqrs.codec.json.JsonStateCodec;
import dev.cqrs.core.CommandMetadata;
import dev.cqrs.core.CommandResult;
import dev.cqrs.core.EntityStore;
import dev.cqrs.core.EventStore;
import dev.cqrs.core.Precondition;
import dev.cqrs.core.SnapshotStore;
import dev.cqrs.core.SnapshotStrategy;
import dev.cqrs.core.Version;
import dev.cqrs.core.VersionedAggregate;
import dev.cqrs.core.codec.EventCodec;
import dev.cqrs.core.entity.CompositeEntityStore;
import dev.cqrs.embedded.postgres.TestDatabase;
import dev.cqrs.postgres.PostgresEventStore;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Our side, through the public API only, configured as a user would: a {@link PostgresEventStore}
 * with its defaults (its own pool of 10, NOTIFY on append), the JSON codec, and a
 * {@link CompositeEntityStore} over it.
 */
public final class MeterStore implements AutoCloseable {

    /** One codec for all: it is thread-safe and builds its readers and writers up front. */
    public static final EventCodec<MeterEvent> CODEC = JsonEventCodec.of(MeterEvent.class);

    private final PostgresEventStore store;
    private final EventStore<MeterEvent> events;
    private final SnapshotStore<MeterState> snapshots;

    private MeterStore(PostgresEventStore store) {
        this.store = store;
        this.events = store.events(Meter.TYPE, CODEC);
        this.snapshots = store.snapshots(Meter.TYPE, new Meter().stateSchemaVersion(), JsonStateCodec.of(MeterState.class));
    }

    /** Our store in schema {@code cqrs} of {@code database}, migrated. */
    public static MeterStore open(TestDatabase database) {
        return new MeterStore(PostgresEventStore.builder(database.jdbcUrl(), database.user(), database.password())
                .schema("cqrs").build());
    }

    public EventStore<MeterEvent> events() {
        return events;
    }

    public SnapshotStore<MeterState> snapshots() {
        return snapshots;
    }

    /** Commands over the events alone: every load replays the whole stream. */
    public EntityStore<MeterState, MeterCommand, MeterEvent> meters() {
        return CompositeEntityStore.builder(new Meter(), events).build();
    }

    /**
     * Commands over the events, with the aggregate cache on (as the to-do service runs them): a command on
     * a meter this store wrote last skips the load; the append still expects the cached version.
     */
    public EntityStore<MeterState, MeterCommand, MeterEvent> cachedMeters(int cachedAggregates) {
        return CompositeEntityStore.builder(new Meter(), events).cacheAggregates(cachedAggregates).build();
    }

    /** Commands over the events and snapshots, with {@code strategy} deciding when to take one. */
    public EntityStore<MeterState, MeterCommand, MeterEvent> meters(SnapshotStrategy strategy) {
        return CompositeEntityStore.builder(new Meter(), events).snapshots(snapshots, strategy).build();
    }

    /**
     * Client {@code client}'s command number {@code index}: one reading, through the whole command
     * path (load, decide, append with the loaded version expected), on the client's aggregate of the
     * moment (see {@link Readings#commandTarget}).
     */
    public void recordReading(EntityStore<MeterState, MeterCommand, MeterEvent> meters, String tag, int client,
                              long index) {
        String id = Readings.commandTarget(tag, client, index);
        var command = new MeterCommand.RecordReading(Readings.reading(client, index));
        accepted(id, meters.execute(id, command, CommandMetadata.create()));
    }

    /**
     * The append of client {@code client}'s command number {@code index} alone: its one event
     * appended with the version the client knows (no load, no decision), which is what the command
     * would cost if the aggregate were not loaded first.
     */
    public void appendReading(String tag, int client, long index) {
        events.append(Readings.commandTarget(tag, client, index), List.of(Readings.reading(client, index)),
                Optional.of(Precondition.expectedVersion(Readings.commandSequence(index) - 1)), CommandMetadata.create());
    }

    /**
     * Client {@code client}'s batch number {@code index}: {@value Readings#BATCH} readings appended at
     * once with the version that the client knows its aggregate is at (no load first).
     */
    public void appendReadings(String tag, int client, long index) {
        events.append(Readings.batchTarget(tag, client, index), Readings.readings(client, index * Readings.BATCH, Readings.BATCH),
                Optional.of(Precondition.expectedVersion(Readings.versionBeforeBatch(index))), CommandMetadata.create());
    }

    /**
     * Writes a stream of {@code events} readings (client 0's, from index 0) in appends of 100, and a
     * snapshot at version {@code snapshotAt} when given.
     *
     * @return the stream's state after the last event
     */
    public MeterState writeStream(String aggregateId, int events, OptionalLong snapshotAt) {
        Meter meter = new Meter();
        MeterState state = meter.initialState();
        for (int written = 0; written < events; written += 100) {
            List<MeterEvent.ReadingRecorded> batch = Readings.readings(0, written, Math.min(100, events - written));
            this.events.append(aggregateId, batch, Optional.of(Precondition.expectedVersion(written)),
                    CommandMetadata.create());
            for (MeterEvent.ReadingRecorded reading : batch) {
                state = meter.apply(state, reading);
                if (snapshotAt.isPresent() && state.readings() == snapshotAt.getAsLong()) {
                    snapshots.persistSnapshot(aggregateId, new VersionedAggregate<>(Version.of(state.readings()), state));
                }
            }
        }
        return state;
    }

    /** The store itself, e.g. for its data source. */
    public PostgresEventStore store() {
        return store;
    }

    /** Fails loudly unless a command was accepted: a benchmark of rejected commands measures nothing. */
    public static <S, E> CommandResult.Accepted<S, E> accepted(String aggregateId, CommandResult<S, E> result) {
        if (result instanceof CommandResult.Accepted<S, E> accepted) {
            return accepted;
        }
        throw new IllegalStateException("the command on meter " + aggregateId + " was not accepted: " + result);
    }

    @Override
    public void close() {
        store.close();
    }
}
