package dev.cqrs.bench.axon;

import com.zaxxer.hikari.HikariDataSource;
import dev.cqrs.bench.workload.MeterEvent.ReadingRecorded;
import dev.cqrs.bench.workload.MeterState;
import dev.cqrs.bench.workload.Pools;
import dev.cqrs.bench.workload.Readings;
import dev.cqrs.embedded.postgres.TestDatabase;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.axonframework.commandhandling.GenericCommandMessage;
import org.axonframework.common.jdbc.DataSourceConnectionProvider;
import org.axonframework.common.jdbc.UnitOfWorkAwareConnectionProviderWrapper;
import org.axonframework.common.transaction.NoTransactionManager;
import org.axonframework.eventhandling.DomainEventMessage;
import org.axonframework.eventhandling.GenericDomainEventMessage;
import org.axonframework.eventsourcing.EventSourcingRepository;
import org.axonframework.eventsourcing.eventstore.EmbeddedEventStore;
import org.axonframework.eventsourcing.eventstore.jdbc.JdbcEventStorageEngine;
import org.axonframework.eventsourcing.eventstore.jdbc.PostgresEventTableFactory;
import org.axonframework.messaging.ResultMessage;
import org.axonframework.messaging.unitofwork.DefaultUnitOfWork;
import org.axonframework.serialization.json.JacksonSerializer;

/**
 * Axon Framework 4.13's JDBC event storage engine set up without Spring, as its reference guide
 * sets it up: a HikariCP pool (10 connections, as ours), a connection provider bound to the unit
 * of work, so that everything one unit of work does runs in one transaction committed when the
 * unit of work commits; Jackson for payloads and metadata; its PostgreSQL table factory for the
 * schema; an {@link EmbeddedEventStore} and an {@link EventSourcingRepository}.
 *
 * <p>Tuned where a PostgreSQL user would tune it, so that we are measured against the peer at its
 * better: the driver rewrites Axon's JDBC batch of single-row INSERTs into multi-row ones
 * ({@code reWriteBatchedInserts}), and loads read {@value #READ_BATCH} events per query. With
 * Axon's defaults it was slower still on batches and loads (see BENCHMARKS.md).
 */
final class AxonStore implements AutoCloseable {

    static final String AGGREGATE_TYPE = AxonMeter.class.getSimpleName();
    /**
     * Events read per query when loading an aggregate. Axon's default is 100 (a 10,000-event
     * aggregate takes 101 queries); 1,000 loads it faster here, so the peer is measured at its
     * better setting.
     */
    static final int READ_BATCH = 1_000;

    private final HikariDataSource pool;
    private final EmbeddedEventStore eventStore;
    private final EventSourcingRepository<AxonMeter> repository;

    AxonStore(TestDatabase database) {
        // Autocommit off: the unit of work commits the connection it is bound to.
        this.pool = Pools.hikari(database, "axon", false, Map.of("reWriteBatchedInserts", "true"));
        JacksonSerializer serializer = JacksonSerializer.defaultSerializer();
        JdbcEventStorageEngine engine = JdbcEventStorageEngine.builder()
                .connectionProvider(new UnitOfWorkAwareConnectionProviderWrapper(new DataSourceConnectionProvider(pool)))
                .transactionManager(NoTransactionManager.INSTANCE)
                .eventSerializer(serializer)
                .snapshotSerializer(serializer)
                .batchSize(READ_BATCH)
                .build();
        DefaultUnitOfWork.startAndGet(null).execute(() -> engine.createSchema(PostgresEventTableFactory.INSTANCE));
        this.eventStore = EmbeddedEventStore.builder().storageEngine(engine).build();
        this.repository = EventSourcingRepository.builder(AxonMeter.class).eventStore(eventStore).build();
    }

    /**
     * A one-event command, the Axon way: in a unit of work, load the aggregate from its events
     * (or create it, for its first command), let it apply the event, and commit, which appends.
     */
    void recordReading(String tag, int client, long index) {
        String id = Readings.commandTarget(tag, client, index);
        ReadingRecorded reading = Readings.reading(client, index);
        boolean first = Readings.commandSequence(index) == 1;
        DefaultUnitOfWork.startAndGet(new GenericCommandMessage<>(reading)).execute(() -> {
            try {
                if (first) {
                    repository.newInstance(() -> new AxonMeter(id, reading));
                } else {
                    repository.load(id).execute(meter -> meter.record(reading));
                }
            } catch (Exception e) {
                throw new IllegalStateException("Axon command on " + id + " failed", e);
            }
        });
    }

    /** A batch of events of one aggregate published at once in a unit of work: one JDBC batch, one transaction. */
    void appendReadings(String tag, int client, long index) {
        // Axon numbers an aggregate's events from 0, we from 1: the same rows, each numbered its way.
        publish(Readings.batchTarget(tag, client, index), Readings.versionBeforeBatch(index),
                Readings.readings(client, index * Readings.BATCH, Readings.BATCH));
    }

    /** Writes a stream of {@code events} readings (client 0's, as ours) in units of work of 100; returns its state. */
    MeterState writeStream(String id, int events) {
        MeterState state = MeterState.EMPTY;
        for (int written = 0; written < events; written += 100) {
            List<ReadingRecorded> batch = Readings.readings(0, written, Math.min(100, events - written));
            publish(id, written, batch);
            for (ReadingRecorded reading : batch) {
                state = state.with(reading);
            }
        }
        return state;
    }

    /** Loads an aggregate through the repository, in a unit of work, and returns its state. */
    MeterState load(String id) {
        ResultMessage<MeterState> result = DefaultUnitOfWork.startAndGet(null)
                .executeWithResult(() -> repository.load(id).invoke(AxonMeter::state));
        if (result.isExceptional()) {
            throw new IllegalStateException("Axon could not load " + id, result.exceptionResult());
        }
        return result.getPayload();
    }

    private void publish(String id, long firstSequence, List<ReadingRecorded> readings) {
        List<DomainEventMessage<?>> messages = new ArrayList<>(readings.size());
        for (int i = 0; i < readings.size(); i++) {
            messages.add(new GenericDomainEventMessage<>(AGGREGATE_TYPE, id, firstSequence + i, readings.get(i)));
        }
        DefaultUnitOfWork.startAndGet(null).execute(() -> eventStore.publish(messages));
    }

    @Override
    public void close() {
        eventStore.shutDown();
        pool.close();
    }
}
