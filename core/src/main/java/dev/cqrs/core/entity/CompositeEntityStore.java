package dev.cqrs.core.entity;

import dev.cqrs.core.Aggregate;
import dev.cqrs.core.CommandMetadata;
import dev.cqrs.core.CommandResult;
import dev.cqrs.core.Decision;
import dev.cqrs.core.EntityStore;
import dev.cqrs.core.Event;
import dev.cqrs.core.EventNumber;
import dev.cqrs.core.EventStore;
import dev.cqrs.core.HydratedAggregate;
import dev.cqrs.core.Precondition;
import dev.cqrs.core.PreconditionFailed;
import dev.cqrs.core.PreconditionFailedException;
import dev.cqrs.core.Rejection;
import dev.cqrs.core.SnapshotStore;
import dev.cqrs.core.SnapshotStrategy;
import dev.cqrs.core.StreamId;
import dev.cqrs.core.Version;
import dev.cqrs.core.VersionedEvent;
import dev.cqrs.core.trivial.NullSnapshotStore;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The command flow over an event store and an optional snapshot store:
 *
 * <ol>
 *   <li>an idempotency key seen before returns the first result at once;</li>
 *   <li>load the latest usable snapshot and the events after it;</li>
 *   <li>check the caller's precondition against the loaded version;</li>
 *   <li>decide; a rejection or "nothing changes" ends here, writing nothing;</li>
 *   <li>append with {@code ExpectedVersion(loaded version)}, so a concurrent writer makes it fail
 *       whole, as a conflict;</li>
 *   <li>apply the events, snapshot if the strategy recommends it.</li>
 * </ol>
 *
 * <p>With {@link Builder#retryOnConflict(int)} a conflict at step 5 starts again from step 2, up to the
 * given number of times; the caller's precondition is checked again each time, so a client's
 * {@code ExpectedVersion} is never silently overridden.
 *
 * <p>With {@link Builder#cacheAggregates(int)} step 2 takes the aggregate as this store last wrote it, when
 * it has it, and skips the database. The append still expects that version, so a stale entry (another
 * process wrote since) fails the append; the entry is then dropped and the command runs again on a fresh
 * load, without counting as a retry. Outcomes other than "accepted with events" (a failed precondition, a
 * rejection, "nothing changes") are confirmed on a fresh load before they are returned.
 *
 * <pre>{@code
 * EntityStore<TodoState, TodoCommand, TodoEvent> todos = CompositeEntityStore.builder(aggregate, eventStore)
 *         .snapshots(snapshotStore, SnapshotStrategy.every(100))
 *         .retryOnConflict(3)
 *         .build();
 * CommandResult<TodoState, TodoEvent> result = todos.execute(id, new MarkCompleted(), CommandMetadata.create());
 * }</pre>
 */
public final class CompositeEntityStore<S, C, E extends Event> implements EntityStore<S, C, E> {

    private static final Logger log = LoggerFactory.getLogger(CompositeEntityStore.class);
    /**
     * The rejection code for an idempotency key first used on another aggregate type.
     *
     * @deprecated use {@link Rejection#IDEMPOTENCY_KEY_REUSED}, the same value
     */
    @Deprecated
    public static final String IDEMPOTENCY_KEY_REUSED = Rejection.IDEMPOTENCY_KEY_REUSED;

    private final Aggregate<S, C, E> aggregate;
    private final CompositeEntitySource<S, E> source;
    private final CompositeEntitySink<S, E> sink;
    private final IdempotentReplay<S, E> replays;
    private final AggregateCache<S> cache;
    private final int conflictRetries;

    private CompositeEntityStore(Builder<S, C, E> b) {
        this.aggregate = b.aggregate;
        this.source = new CompositeEntitySource<>(b.aggregate, b.events, b.snapshots, b.pageSize);
        this.sink = new CompositeEntitySink<>(b.aggregate, b.events, b.snapshots, b.strategy);
        this.replays = new IdempotentReplay<>(b.aggregate, b.events, source);
        this.cache = new AggregateCache<>(b.cachedAggregates);
        this.conflictRetries = b.conflictRetries;
    }

    public static <S, C, E extends Event> Builder<S, C, E> builder(Aggregate<S, C, E> aggregate, EventStore<E> events) {
        return new Builder<>(aggregate, events);
    }

    @Override
    public Optional<HydratedAggregate<S>> rehydrate(String aggregateId) {
        return source.rehydrate(aggregateId);
    }

    @Override
    public Persisted<S> persist(String aggregateId, HydratedAggregate<S> loaded, List<? extends E> newEvents,
                                CommandMetadata metadata) {
        return sink.persist(aggregateId, loaded, newEvents, metadata);
    }

    @Override
    public CommandResult<S, E> execute(String aggregateId, C command, Optional<Precondition> precondition,
                                       CommandMetadata metadata) {
        Objects.requireNonNull(command, "command");
        Objects.requireNonNull(precondition, "precondition");
        Objects.requireNonNull(metadata, "metadata");
        StreamId stream = StreamId.of(aggregate.aggregateType(), aggregateId);
        Optional<CommandResult<S, E>> earlier = replays.earlier(stream, metadata);
        if (earlier.isPresent()) {
            return earlier.get();
        }
        for (int conflicts = 0; ; ) {
            switch (attempt(stream, command, precondition, metadata)) {
                case Attempt.Done<S, E> done -> {
                    return done.result();
                }
                case Attempt.Stale<S, E> stale -> cache.evict(aggregateId);
                case Attempt.Lost<S, E> lost -> {
                    if (conflicts == conflictRetries) {
                        log.debug("Conflict on {} after {} attempt(s): {}", stream, conflicts + 1, lost.conflict().message());
                        return new CommandResult.Conflict<>(lost.conflict());
                    }
                    conflicts++;
                    log.debug("Conflict on {}, retrying ({} of {})", stream, conflicts, conflictRetries);
                }
            }
        }
    }

    /**
     * One load, precondition check, decision and append. Any outcome but "accepted with events" decided on a
     * cached aggregate is {@link Attempt.Stale}: the cache is a hint, and only a fresh load may refuse a command.
     */
    private Attempt<S, E> attempt(StreamId stream, C command, Optional<Precondition> precondition,
                                  CommandMetadata metadata) {
        Loaded<S> loaded = load(stream.aggregateId());
        HydratedAggregate<S> before = loaded.aggregate();
        if (precondition.isPresent() && !precondition.get().isSatisfiedBy(loaded.current())) {
            return loaded.cached() ? new Attempt.Stale<>()
                    : done(new CommandResult.Conflict<>(new PreconditionFailed(stream, precondition.get(), loaded.current())));
        }
        Decision<E> decision = aggregate.decide(before.state(), command);
        List<E> newEvents = decision instanceof Decision.Accepted<E> accepted ? accepted.events() : List.of();
        if (newEvents.isEmpty()) {
            return loaded.cached() ? new Attempt.Stale<>() : done(decision instanceof Decision.Rejected<E> rejected
                    ? new CommandResult.Rejected<>(stream, rejected.rejection())
                    : new CommandResult.Accepted<>(stream, before, List.of(), Optional.empty()));
        }
        try {
            Persisted<S> persisted = sink.persist(stream.aggregateId(), before, newEvents, metadata);
            if (persisted.append().replayed()) {
                cache.evict(stream.aggregateId());
                return done(replays.of(stream, persisted.append()));
            }
            cache.put(stream.aggregateId(), persisted.aggregate());
            return done(new CommandResult.Accepted<>(stream, persisted.aggregate(),
                    numbered(before.version(), newEvents), Optional.of(persisted.append())));
        } catch (PreconditionFailedException conflict) {
            if (loaded.cached()) {
                log.debug("Cached {} was stale; loading it again", stream);
                return new Attempt.Stale<>();
            }
            return new Attempt.Lost<>(conflict.failure());
        } catch (RuntimeException e) {
            cache.evict(stream.aggregateId());
            throw e;
        }
    }

    /** The aggregate as this store last wrote it when the cache has it, else from the event store. */
    private Loaded<S> load(String aggregateId) {
        Optional<HydratedAggregate<S>> cached = cache.get(aggregateId);
        Optional<HydratedAggregate<S>> found = cached.isPresent() ? cached : source.rehydrate(aggregateId);
        return new Loaded<>(found.orElseGet(() -> HydratedAggregate.initial(aggregate.initialState())),
                found.map(HydratedAggregate::version), cached.isPresent());
    }

    private static <S, E> Attempt<S, E> done(CommandResult<S, E> result) {
        return new Attempt.Done<>(result);
    }

    private static <E> List<VersionedEvent<E>> numbered(Version loaded, List<E> events) {
        long next = loaded.asLong();
        VersionedEvent<E>[] out = newArray(events.size());
        for (int i = 0; i < events.size(); i++) {
            out[i] = new VersionedEvent<>(EventNumber.of(++next), events.get(i));
        }
        return List.of(out);
    }

    @SuppressWarnings("unchecked")
    private static <E> VersionedEvent<E>[] newArray(int size) {
        return (VersionedEvent<E>[]) new VersionedEvent<?>[size];
    }

    /** Configures a {@link CompositeEntityStore}; only the aggregate and its event store are required. */
    public static final class Builder<S, C, E extends Event> {
        private final Aggregate<S, C, E> aggregate;
        private final EventStore<E> events;
        private SnapshotStore<S> snapshots = NullSnapshotStore.create();
        private SnapshotStrategy strategy = SnapshotStrategy.never();
        private int conflictRetries = 0;
        private int pageSize = CompositeEntitySource.DEFAULT_PAGE_SIZE;
        private int cachedAggregates = 0;

        private Builder(Aggregate<S, C, E> aggregate, EventStore<E> events) {
            this.aggregate = Objects.requireNonNull(aggregate, "aggregate");
            this.events = Objects.requireNonNull(events, "events");
        }

        /** Load from and write snapshots to {@code store}, when {@code strategy} recommends. */
        public Builder<S, C, E> snapshots(SnapshotStore<S> store, SnapshotStrategy strategy) {
            this.snapshots = Objects.requireNonNull(store, "store");
            this.strategy = Objects.requireNonNull(strategy, "strategy");
            return this;
        }

        /**
         * On a conflict at append time, load again and decide again, up to {@code retries} times
         * (0, the default, returns the conflict at once). Only for commands that are safe to decide
         * again on a newer state, which is what commands against an aggregate normally are.
         */
        public Builder<S, C, E> retryOnConflict(int retries) {
            if (retries < 0) {
                throw new IllegalArgumentException("retries must not be negative: " + retries);
            }
            this.conflictRetries = retries;
            return this;
        }

        /**
         * Keep up to {@code maxAggregates} aggregates as this store last wrote them, so that a command on one
         * of them skips the load (default 0: off). Safe with other writers: see the class documentation.
         * States must be immutable, as they are shared by the commands that use them.
         */
        public Builder<S, C, E> cacheAggregates(int maxAggregates) {
            if (maxAggregates < 0) {
                throw new IllegalArgumentException("the cache size must not be negative: " + maxAggregates);
            }
            this.cachedAggregates = maxAggregates;
            return this;
        }

        /** Events read per round trip when rehydrating (default 5,000). */
        public Builder<S, C, E> pageSize(int pageSize) {
            if (pageSize < 1) {
                throw new IllegalArgumentException("page size must be at least 1: " + pageSize);
            }
            this.pageSize = pageSize;
            return this;
        }

        public CompositeEntityStore<S, C, E> build() {
            return new CompositeEntityStore<>(this);
        }
    }
}
