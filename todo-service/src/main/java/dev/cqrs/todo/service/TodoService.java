package dev.cqrs.todo.service;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.cqrs.codec.avro.AvroEventCodec;
import dev.cqrs.codec.kafka.EventTopic;
import dev.cqrs.codec.registry.SchemaRegistryClient;
import dev.cqrs.core.EntityStore;
import dev.cqrs.core.EventStore;
import dev.cqrs.core.SnapshotStrategy;
import dev.cqrs.core.entity.CompositeEntityStore;
import dev.cqrs.outbox.Relay;
import dev.cqrs.outbox.RelayStatus;
import dev.cqrs.postgres.PostgresEventStore;
import dev.cqrs.postgres.PostgresPools;
import dev.cqrs.projector.PostgresProjection;
import dev.cqrs.projector.ProjectionStatus;
import dev.cqrs.projector.Projector;
import dev.cqrs.projector.ReadYourWrites;
import dev.cqrs.projector.StateProjection;
import dev.cqrs.todo.api.GraphQLEndpoint;
import dev.cqrs.todo.api.TodoCommands;
import dev.cqrs.todo.api.TodoGraphQL;
import dev.cqrs.todo.api.WaitOutcome;
import dev.cqrs.todo.domain.TodoAggregate;
import dev.cqrs.todo.domain.TodoCommand;
import dev.cqrs.todo.domain.TodoEvent;
import dev.cqrs.todo.domain.TodoState;
import dev.cqrs.todo.readmodel.TodoActivity;
import dev.cqrs.todo.readmodel.TodoList;
import dev.cqrs.todo.readmodel.TodoListProjection;
import dev.cqrs.todo.web.WebAssets;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.net.URI;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The to-do service: whichever of the roles api, relay and projector its configuration names, wired
 * together, and an HTTP server. Every process serves {@code /health}, {@code /health/ready} and
 * {@code /metrics}; the api role adds {@code /graphql}, the page at {@code /} and {@code /graphiql}.
 *
 * <pre>
 *  api:       GraphQL -> TodoCommands -> CompositeEntityStore -> PostgresEventStore (Avro payloads)
 *             GraphQL -> TodoList (read model views) after ReadYourWrites; Todo.events -> event store
 *  relay:     PostgresEventStore global log -> Kafka topic events.todo (exactly once)
 *  projector: events.todo -> todo_list (PostgreSQL) and todo_activity (Kafka Streams state store)
 * </pre>
 *
 * {@link #close()} stops the HTTP server first, then the projector and the relay (each finishing its
 * transaction), then the connections.
 */
public final class TodoService implements AutoCloseable {

    /** To-dos kept in the api role's aggregate cache. */
    private static final int CACHED_TODOS = 10_000;

    private static final Logger log = LoggerFactory.getLogger(TodoService.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Deque<AutoCloseable> resources;
    private final Javalin http;
    private final ServiceConfig config;

    private TodoService(ServiceConfig config, Deque<AutoCloseable> resources, Javalin http) {
        this.config = config;
        this.resources = resources;
        this.http = http;
    }

    /**
     * Starts the roles the configuration names and the HTTP server.
     *
     * @throws RuntimeException when a dependency cannot be reached or refuses (e.g. the registry refuses an
     *                          event schema as incompatible); whatever had started is stopped again
     */
    public static TodoService start(ServiceConfig config) {
        Deque<AutoCloseable> resources = new ArrayDeque<>();
        try {
            return startWith(config, resources);
        } catch (RuntimeException e) {
            closeAll(resources);
            throw e;
        }
    }

    private static TodoService startWith(ServiceConfig config, Deque<AutoCloseable> resources) {
        long started = System.nanoTime();
        boolean api = config.runs(Role.API);
        boolean projects = config.runs(Role.PROJECTOR);
        ServiceMetrics metrics = opened(resources, new ServiceMetrics());
        List<Health.Probe> probes = new ArrayList<>();
        Admin admin = opened(resources, Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.kafkaBootstrap(),
                AdminClientConfig.CLIENT_ID_CONFIG, "cqrs-todo-health", AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2_000,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 2_500)));
        probes.add(new Health.Probe("kafka", () -> kafkaCheck(admin)));

        // Codec: Avro in the registry's wire format. Registering every schema now makes an incompatible
        // change fail the start, not the first command that writes that event.
        Optional<AvroEventCodec<TodoEvent>> codec = Optional.empty();
        if (config.registryUrl().isPresent()) {
            SchemaRegistryClient registry = opened(resources, SchemaRegistryClient.builder(config.registryUrl().get()).build());
            codec = Optional.of(AvroEventCodec.builder(TodoEvent.class, TodoAggregate.TYPE, registry).build());
            if (api || projects) {
                log.info("Event schemas registered (event type -> schema id): {}", codec.get().registerAll());
            }
            SchemaRegistryClient quick = opened(resources, SchemaRegistryClient.builder(config.registryUrl().get())
                    .maxAttempts(1).connectTimeout(Duration.ofSeconds(2)).requestTimeout(Duration.ofSeconds(2)).build());
            probes.add(new Health.Probe("schemaRegistry", () -> Health.Check.up(
                    "todo.Created has " + quick.versions("todo.Created").size() + " version(s)")));
        }

        Optional<PostgresEventStore> store = Optional.empty();
        if (api || config.runs(Role.RELAY)) {
            PostgresEventStore opened = opened(resources, PostgresEventStore.builder(config.eventStore().url(),
                            config.eventStore().user(), config.eventStore().password())
                    .schema(config.storeSchema()).poolSize(config.poolSize()).connectionTimeout(config.databaseTimeout()).build());
            store = Optional.of(opened);
            probes.add(new Health.Probe("eventStore", () -> opened.isAvailable()
                    ? Health.Check.up("PostgreSQL answers") : Health.Check.down("PostgreSQL does not answer")));
        }

        if (config.runs(Role.RELAY)) {
            Relay relay = opened(resources, Relay.start(store.orElseThrow(), config.relayConfig()));
            metrics.bindRelay(relay);
            probes.add(new Health.Probe("relay", () -> relayCheck(relay.status())));
        }

        Optional<EventTopic<TodoEvent>> events = codec.map(c -> config.relayConfig().eventTopic(TodoAggregate.TYPE, c));
        Optional<PostgresProjection<TodoEvent>> todoList = events.map(TodoListProjection::create);
        Optional<StateProjection<TodoActivity, TodoEvent>> activity = events.map(TodoActivity::projection);
        Optional<Projector> projector = Optional.empty();
        if (projects) {
            Projector running = opened(resources, Projector.builder(config.projectorConfig())
                    .projection(todoList.orElseThrow())
                    .stateProjection(activity.orElseThrow())
                    .start());
            projector = Optional.of(running);
            metrics.bindProjector(running);
            for (String name : running.names()) {
                probes.add(new Health.Probe("projection:" + name, () -> projectionCheck(running.status(name))));
            }
        }

        Optional<Api> apiRole = Optional.empty();
        if (api) {
            apiRole = Optional.of(startApi(config, resources, metrics, codec.orElseThrow(), store.orElseThrow(),
                    todoList.orElseThrow(), activity.orElseThrow(), projector, probes));
        }

        Health health = opened(resources, new Health(config.roles().stream().map(Role::lowerCase).sorted().toList(), probes));
        Javalin http = routes(config, metrics, health, apiRole);
        resources.push(http::stop);
        http.start(config.httpHost(), config.httpPort());
        TodoService service = new TodoService(config, resources, http);
        log.info("To-do service ({}) started in {} s on {}", String.join(", ", health.live().get("roles").toString()),
                String.format("%.1f", (System.nanoTime() - started) / 1e9), service.url());
        return service;
    }

    /** What the api role serves. */
    private record Api(GraphQLEndpoint graphQL, WebAssets web) {
    }

    private static Api startApi(ServiceConfig config, Deque<AutoCloseable> resources, ServiceMetrics metrics,
                                AvroEventCodec<TodoEvent> codec, PostgresEventStore store,
                                PostgresProjection<TodoEvent> todoList, StateProjection<TodoActivity, TodoEvent> activity,
                                Optional<Projector> projector, List<Health.Probe> probes) {
        TodoAggregate aggregate = new TodoAggregate(Clock.systemUTC());
        EventStore<TodoEvent> events = store.events(TodoAggregate.TYPE, codec);
        // The aggregate cache spares a command the load of a to-do this process wrote last; a stale entry
        // (another api process wrote since) costs a reload, never a wrong write.
        CompositeEntityStore.Builder<TodoState, TodoCommand, TodoEvent> entities = store.entities(aggregate, codec)
                .retryOnConflict(config.commandRetries())
                .cacheAggregates(CACHED_TODOS);
        if (config.snapshotEvery() > 0) {
            entities.snapshots(store.snapshots(TodoAggregate.TYPE, aggregate.stateSchemaVersion(), new TodoSnapshotCodec()),
                    SnapshotStrategy.every(config.snapshotEvery()));
        }
        EntityStore<TodoState, TodoCommand, TodoEvent> todos = entities.build();

        // The API's connections are closed with the others, after the projector and the relay (which were opened
        // before them): resources close from the front of the deque, so these go to its back.
        ReadYourWrites readYourWrites = projector.map(Projector::readYourWrites)
                .orElseGet(() -> closedLast(resources, ReadYourWrites.connect(config.projectorConfig(), List.of(todoList))));
        HikariDataSource readPool = closedLast(resources, readModelPool(config));
        probes.add(new Health.Probe("readModel", () -> {
            try (Connection c = readPool.getConnection()) {
                return c.isValid(2) ? Health.Check.up("PostgreSQL answers") : Health.Check.down("PostgreSQL does not answer");
            } catch (SQLException e) {
                return Health.Check.down(e.getMessage());
            }
        }));

        TodoGraphQL graphQL = new TodoGraphQL(new TodoCommands(todos, metrics.registry()),
                new TodoList(readPool, config.readSchema()), events,
                // Until ReadYourWrites tells a dead-lettered position apart, its boolean maps to REACHED or TIMED_OUT.
                (position, timeout) -> switch (readYourWrites.await(TodoListProjection.NAME, position, timeout)) {
                    case REACHED -> WaitOutcome.REACHED;
                    case DEAD_LETTERED -> WaitOutcome.DEAD_LETTERED;
                    case TIMED_OUT -> WaitOutcome.TIMED_OUT;
                },
                id -> projector.flatMap(p -> queryActivity(p, activity, id)),
                config.limits(), metrics.registry());
        return new Api(new GraphQLEndpoint(graphQL, config.tokens()), new WebAssets());
    }

    /** Every route of the service, in one place. */
    private static Javalin routes(ServiceConfig config, ServiceMetrics metrics, Health health, Optional<Api> api) {
        return Javalin.create(javalin -> {
            javalin.startup.showJavalinBanner = false;
            javalin.http.maxRequestSize = config.limits().maxBodyBytes();
            javalin.requestLogger.http(metrics::httpRequest);

            javalin.routes.get("/health", ctx -> json(ctx, 200, health.live()));
            javalin.routes.get("/health/live", ctx -> json(ctx, 200, health.live()));
            javalin.routes.get("/health/ready", ctx -> {
                Map<String, Object> ready = health.ready();
                json(ctx, "DOWN".equals(ready.get("status")) ? 503 : 200, ready);
            });
            javalin.routes.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape()));

            api.ifPresent(served -> {
                javalin.routes.post("/graphql", served.graphQL()::handle);
                javalin.routes.get("/graphql", ctx -> json(ctx, 405, Map.of("errors", List.of(Map.of(
                        "message", "send GraphQL requests with POST, as JSON {\"query\": \"...\"}; GraphiQL is at /graphiql",
                        "extensions", Map.of("code", "BAD_REQUEST"))))));
                javalin.routes.get("/", served.web().serve("index.html"));
                javalin.routes.get("/app.js", served.web().serve("app.js"));
                javalin.routes.get("/style.css", served.web().serve("style.css"));
                javalin.routes.get("/graphiql", served.web().serve("graphiql.html"));
                javalin.routes.get("/graphiql.js", served.web().serve("graphiql.js"));
                for (String file : List.of(WebAssets.GRAPHIQL_JS, WebAssets.GRAPHIQL_CSS, WebAssets.REACT_JS, WebAssets.REACT_DOM_JS)) {
                    javalin.routes.get("/" + file, served.web().serve(file));
                }
            });

            javalin.routes.error(404, ctx -> json(ctx, 404, Map.of("errors", List.of(Map.of(
                    "message", "no such resource: " + ctx.method().name() + " " + ctx.path(),
                    "extensions", Map.of("code", "NOT_FOUND"))))));
            javalin.routes.exception(Exception.class, (e, ctx) -> {
                String reference = UUID.randomUUID().toString();
                log.error("Internal error serving {} {} (reference {})", ctx.method().name(), ctx.path(), reference, e);
                json(ctx, 500, Map.of("errors", List.of(Map.of("message", "internal error; reference " + reference,
                        "extensions", Map.of("code", "INTERNAL", "reference", reference)))));
            });
        });
    }

    private static void json(Context ctx, int status, Object body) {
        try {
            ctx.status(status).contentType("application/json; charset=utf-8").result(JSON.writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON", e);
        }
    }

    private static Optional<TodoActivity> queryActivity(Projector projector, StateProjection<TodoActivity, TodoEvent> activity,
                                                        String id) {
        try {
            return projector.query(activity, id);
        } catch (RuntimeException e) {
            log.debug("The activity of to-do {} cannot be read now: {}", id, e.toString());
            return Optional.empty();
        }
    }

    private static HikariDataSource readModelPool(ServiceConfig config) {
        HikariConfig pool = PostgresPools.settings(config.readModel().url(), config.readModel().user(),
                config.readModel().password(), "cqrs-todo-queries", "cqrs-todo-api", 8, config.databaseTimeout());
        pool.setReadOnly(true);
        pool.setInitializationFailTimeout(-1);
        return new HikariDataSource(pool);
    }

    private static Health.Check kafkaCheck(Admin admin) {
        try {
            int brokers = admin.describeCluster(new DescribeClusterOptions().timeoutMs(2_000)).nodes().get(2_500, TimeUnit.MILLISECONDS).size();
            return Health.Check.up(brokers + " broker(s)");
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            return Health.Check.down("no answer from Kafka: " + e.getClass().getSimpleName());
        }
    }

    /**
     * The relay: DOWN when stopped or refusing to publish (with the reason), DEGRADED while an append holds
     * the global log back (naming its backend), else UP with its role.
     */
    static Health.Check relayCheck(RelayStatus status) {
        return switch (status.role()) {
            case STOPPED -> Health.Check.down("stopped");
            case REFUSED -> Health.Check.down("refuses to publish: " + status.lastError().orElse("(no reason given)"));
            case LEADER, STANDBY -> status.logHeldBackBy()
                    .map(holdUp -> Health.Check.degraded(status.role().name().toLowerCase() + ", the global log is held back by "
                            + holdUp.describe()))
                    .orElseGet(() -> Health.Check.up(status.role().name().toLowerCase()
                            + status.lastError().map(e -> ", last error: " + e).orElse("")));
        };
    }

    private static Health.Check projectionCheck(ProjectionStatus status) {
        boolean ok = Set.of("RUNNING", "REBALANCING", "CREATED").contains(status.state());
        String detail = status.state() + ", lag " + status.lagRecords() + " record(s), at position " + status.lastPosition();
        return ok ? Health.Check.up(detail) : Health.Check.down(detail);
    }

    private static <T extends AutoCloseable> T opened(Deque<AutoCloseable> resources, T resource) {
        resources.push(resource);
        return resource;
    }

    /** A resource to close after everything opened so far: a connection pool that they may use while they stop. */
    private static <T extends AutoCloseable> T closedLast(Deque<AutoCloseable> resources, T resource) {
        resources.addLast(resource);
        return resource;
    }

    /** The port the HTTP server listens on (useful with CQRS_HTTP_PORT=0). */
    public int port() {
        return http.port();
    }

    /** The base URL of the HTTP server, e.g. {@code http://localhost:8080}. */
    public URI url() {
        String host = config.httpHost();
        boolean any = host.equals("0.0.0.0") || host.equals("::") || host.equals("127.0.0.1");
        return URI.create("http://" + (any ? "localhost" : host) + ":" + port());
    }

    /** Stops the HTTP server, then the projector and the relay, then the connections. */
    @Override
    public void close() {
        log.info("Stopping the to-do service on port {}", port());
        closeAll(resources);
        log.info("To-do service stopped");
    }

    private static void closeAll(Deque<AutoCloseable> resources) {
        while (!resources.isEmpty()) {
            AutoCloseable resource = resources.pop();
            try {
                resource.close();
            } catch (Exception e) {
                log.warn("Could not close {} cleanly: {}", resource, e.toString());
            }
        }
    }
}
