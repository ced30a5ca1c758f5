package dev.cqrs.projector;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * Runs projections and reactors, each as a Kafka Streams application of its own with exactly_once_v2.
 *
 * <pre>{@code
 * Projector projector = Projector.builder(new ProjectorConfig(settings))
 *         .projection(todoList)          // a PostgresProjection
 *         .stateProjection(todoActivity) // a StateProjection
 *         .reactor(reminders)            // a Reactor
 *         .start();
 * projector.readYourWrites().awaitPosition("todos", position, Duration.ofSeconds(2));
 * projector.rebuild("todos");            // a new generation, built beside the serving one, then switched
 * }</pre>
 *
 * <p>A facade: {@link StreamApplications} builds and runs the Kafka Streams applications, {@link Generations}
 * keeps each PostgreSQL projection's generations running (the active one, one being rebuilt, none that
 * retired) and switches readers to a rebuilt one once it has caught up, {@link DeadLetters} reads and
 * replays what was set aside, {@link ReadYourWrites} waits for positions. Several projector processes may
 * run the same projections; Kafka Streams shares the partitions among them.
 */
public final class Projector implements AutoCloseable {

    private final ProjectorConfig config;
    private final Map<String, PostgresProjection<?>> projections;
    private final Map<String, StateProjection<?, ?>> stateProjections;
    private final Map<String, Reactor<?>> reactors;
    private final Optional<ReadModelDatabase> database;
    private final KafkaOffsets kafka;
    private final StreamApplications applications;
    private final Optional<Generations> generations;
    private final DeadLetters deadLetters;
    private final Optional<ReadYourWrites> readYourWrites;
    private final Map<String, ReactionProgress> reactionProgress = new ConcurrentHashMap<>();

    private Projector(Builder b) {
        this.config = b.config;
        this.projections = Map.copyOf(b.projections);
        this.stateProjections = Map.copyOf(b.stateProjections);
        this.reactors = Map.copyOf(b.reactors);
        if (!projections.isEmpty() && !config.hasReadModelDatabase()) {
            throw new ConfigException(ProjectorConfig.READ_MODEL_URL, "", "PostgreSQL projections need the read-model database");
        }
        this.database = config.hasReadModelDatabase() ? Optional.of(ReadModelDatabase.of(config, 8)) : Optional.empty();
        this.kafka = new KafkaOffsets(config.bootstrapServers());
        this.applications = new StreamApplications(config, kafka);
        this.generations = database.map(db -> new Generations(config.prefix(), projections, db, kafka, applications));
        this.deadLetters = new DeadLetters(config.bootstrapServers());
        Map<String, List<String>> topics = new LinkedHashMap<>();
        projections.values().forEach(p -> topics.put(p.name(), p.topics()));
        this.readYourWrites = database.map(db -> new ReadYourWrites(db, kafka, config.prefix(), topics));
    }

    public static Builder builder(ProjectorConfig config) {
        return new Builder(config);
    }

    private void start() {
        stateProjections.values().forEach(applications::startState);
        reactors.values().forEach(applications::startReactor);
        generations.ifPresent(Generations::start);
    }

    // ---- rebuilds ----

    /**
     * Rebuilds a PostgreSQL projection from the first event: a new generation, with fresh tables, is filled
     * while the current one goes on serving; readers are switched to it atomically once it has caught up.
     * Returns at once; follow it with {@link #rebuildProgress}.
     */
    public RebuildProgress rebuild(String projection) {
        PostgresProjection<?> definition = postgresProjection(projection);
        return generations.orElseThrow().rebuild(definition);
    }

    /** The progress of the latest rebuild of a projection in this process. */
    public Optional<RebuildProgress> rebuildProgress(String projection) {
        return generations.flatMap(g -> g.rebuildProgress(projection));
    }

    // ---- status, queries, read-your-writes ----

    /** Waits for PostgreSQL read models to reflect a position. */
    public ReadYourWrites readYourWrites() {
        return readYourWrites.orElseThrow(() -> new IllegalStateException("no read-model database is configured"));
    }

    /**
     * Waits until a reactor has reacted to every event up to {@code position} (or {@code timeout} passes), and
     * says how it ended: {@code REACHED}, {@code DEAD_LETTERED} (the reaction to the append at {@code position}
     * failed and the event went to the reactor's dead-letter topic) or {@code TIMED_OUT}. The reactor must
     * run in this projector.
     */
    public ReadYourWrites.Outcome awaitReaction(String reactor, long position, Duration timeout) {
        if (!reactors.containsKey(reactor)) {
            throw new IllegalArgumentException("no reactor named '" + reactor + "' runs in this projector");
        }
        ReactionProgress progress = reactionProgress.computeIfAbsent(reactor, name -> {
            StreamApplications.Running found = serving(name);
            return new ReactionProgress(kafka, config.bootstrapServers(), found.applicationId(), found.topics().getFirst(),
                    found.deadLetterTopic());
        });
        try {
            return progress.await(position, timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ReadYourWrites.Outcome.TIMED_OUT;
        }
    }

    /** The status of a projection (its serving generation) or a reactor. */
    public ProjectionStatus status(String name) {
        StreamApplications.Running found = serving(name);
        long lag = kafka.lag(found.applicationId(), kafka.partitionsOf(found.topics()));
        return new ProjectionStatus(name, found.generation(), found.streams().state().name(), found.metrics().processed(),
                found.metrics().deadLetteredCount(), found.metrics().lastPosition(), lag,
                Optional.ofNullable(found.metrics().lastProcessedAt()), found.metrics().skipped());
    }

    /** Events processed in this process by everything running under {@code name} (cheap: no Kafka or database call). */
    long processedHere(String name) {
        return applications.named(name).mapToLong(r -> r.metrics().processed()).sum();
    }

    /** Records this process found already applied and left alone, for everything running under {@code name}. */
    long skippedHere(String name) {
        return applications.named(name).mapToLong(r -> r.metrics().skipped()).sum();
    }

    /** The names of everything this projector runs. */
    public List<String> names() {
        List<String> names = new ArrayList<>(projections.keySet());
        names.addAll(stateProjections.keySet());
        names.addAll(reactors.keySet());
        return names;
    }

    /**
     * The value a state projection holds for an aggregate, from this process's state stores (which hold
     * the partitions assigned here).
     */
    public <S> Optional<S> query(StateProjection<S, ?> projection, String aggregateId) {
        StreamApplications.Running found = applications.named(projection.name()).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("state projection " + projection.name() + " does not run here"));
        ReadOnlyKeyValueStore<String, byte[]> store = found.streams().store(
                StoreQueryParameters.fromNameAndType(projection.name(), QueryableStoreTypes.keyValueStore()));
        byte[] value = store.get(aggregateId);
        return value == null ? Optional.empty() : Optional.of(projection.valueCodec().decode(value));
    }

    // ---- dead letters ----

    /**
     * The dead letters of a PostgreSQL projection's serving generation that were not replayed yet (read from
     * PostgreSQL, where they are written with the positions that pass them), or of a state projection or
     * reactor (read from its dead-letter topic), oldest first.
     */
    public List<DeadLetter> deadLetters(String name) {
        StreamApplications.Running found = serving(name);
        if (projections.containsKey(name)) {
            return database.orElseThrow().deadLetters(new Generation(name, found.generation()));
        }
        return deadLetters.inTopic(found.deadLetterTopic());
    }

    /**
     * Applies a PostgreSQL projection's dead letters again (after a fix), each at most once, in its own
     * transaction; or runs a command reactor's reaction on them again (its idempotency keys keep that
     * safe). Letters that still fail stay where they are.
     *
     * @return how many were applied now
     */
    public int replayDeadLetters(String name) {
        if (projections.containsKey(name)) {
            return deadLetters.replayIntoReadModel(postgresProjection(name), new Generation(name, serving(name).generation()),
                    database.orElseThrow());
        }
        Reactor<?> reactor = reactors.get(name);
        if (reactor != null && reactor.reaction().isPresent()) {
            return deadLetters.replayReaction(reactor, deadLetters(name));
        }
        throw new UnsupportedOperationException(name + ": only PostgreSQL projections and command reactors replay dead letters");
    }

    /** What serves a name: a projection's active generation, or the state projection or reactor. */
    private StreamApplications.Running serving(String name) {
        Optional<Integer> generation = projections.containsKey(name) ? generations.orElseThrow().active(name) : Optional.of(0);
        return generation.flatMap(g -> applications.serving(name, g))
                .orElseThrow(() -> new IllegalArgumentException("nothing named '" + name + "' runs in this projector"));
    }

    private PostgresProjection<?> postgresProjection(String name) {
        PostgresProjection<?> projection = projections.get(name);
        if (projection == null) {
            throw new IllegalArgumentException("no PostgreSQL projection named '" + name + "'");
        }
        return projection;
    }

    /** Stops every application (committing what they did), then the database pool. */
    @Override
    public void close() {
        generations.ifPresent(Generations::close);
        applications.close();
        readYourWrites.ifPresent(ReadYourWrites::close);
        reactionProgress.values().forEach(ReactionProgress::close);
        kafka.close();
        database.ifPresent(ReadModelDatabase::close);
    }

    /** Collects what a {@link Projector} runs. */
    public static final class Builder {
        private final ProjectorConfig config;
        private final Map<String, PostgresProjection<?>> projections = new LinkedHashMap<>();
        private final Map<String, StateProjection<?, ?>> stateProjections = new LinkedHashMap<>();
        private final Map<String, Reactor<?>> reactors = new LinkedHashMap<>();

        private Builder(ProjectorConfig config) {
            this.config = config;
        }

        public Builder projection(PostgresProjection<?> projection) {
            unique(projection.name());
            projections.put(projection.name(), projection);
            return this;
        }

        public Builder stateProjection(StateProjection<?, ?> projection) {
            unique(projection.name());
            stateProjections.put(projection.name(), projection);
            return this;
        }

        public Builder reactor(Reactor<?> reactor) {
            unique(reactor.name());
            reactors.put(reactor.name(), reactor);
            return this;
        }

        private void unique(String name) {
            if (projections.containsKey(name) || stateProjections.containsKey(name) || reactors.containsKey(name)) {
                throw new IllegalArgumentException("'" + name + "' is registered twice");
            }
        }

        /** Starts everything; PostgreSQL projections get their first generation if they have none. */
        public Projector start() {
            Projector projector = new Projector(this);
            try {
                projector.start();
            } catch (RuntimeException e) {
                projector.close();
                throw e;
            }
            return projector;
        }
    }
}
