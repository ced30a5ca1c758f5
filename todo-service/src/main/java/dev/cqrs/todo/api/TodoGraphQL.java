package dev.cqrs.todo.api;

import dev.cqrs.core.Before;
import dev.cqrs.core.EventMetadata;
import dev.cqrs.core.EventSource;
import dev.cqrs.core.Names;
import dev.cqrs.core.StreamId;
import dev.cqrs.core.VersionedEventWithMetadata;
import dev.cqrs.todo.domain.TodoCommand;
import dev.cqrs.todo.domain.TodoEvent;
import dev.cqrs.todo.readmodel.TodoActivity;
import dev.cqrs.todo.readmodel.TodoList;
import dev.cqrs.todo.readmodel.TodoPage;
import graphql.ExecutionInput;
import graphql.ExecutionResult;
import graphql.GraphQL;
import graphql.analysis.MaxQueryComplexityInstrumentation;
import graphql.analysis.MaxQueryDepthInstrumentation;
import graphql.execution.instrumentation.ChainedInstrumentation;
import graphql.schema.DataFetcher;
import graphql.schema.DataFetchingEnvironment;
import graphql.schema.GraphQLSchema;
import graphql.schema.idl.RuntimeWiring;
import graphql.schema.idl.SchemaGenerator;
import graphql.schema.idl.SchemaParser;
import graphql.schema.idl.TypeRuntimeWiring;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Semaphore;
import java.util.function.Function;

/**
 * The GraphQL API over the to-dos: the schema ({@code schema.graphqls} beside this class), one data
 * fetcher per field that does more than read a property, the limits, and the error mapping.
 *
 * <p>The schema is the seed's (cq-rs/cqrs, {@code cqrs-todoql-psql}), type names and semantics included, with
 * additions only (see {@code schema.graphqls}). Queries read the read model ({@link TodoList}), waiting first,
 * when asked, until it reflects a position ({@link ReadModelWait}); {@code TodoQL.events} reads the event
 * store; mutations run commands ({@link TodoCommands}) and answer with the to-do they left.
 */
public final class TodoGraphQL {

    /** The value of {@code apiVersion}. */
    public static final String API_VERSION = "1.0";
    /** The most events one {@code TodoQL.events} returns, as in the seed: a larger maxCount is clamped. */
    static final int MAX_EVENTS = 1_000;
    /** {@code TodoQL.events} without maxCount, as in the seed. */
    static final int DEFAULT_EVENTS = 100;
    /** A page of {@code allTodos} without first (or with 0 or less), as in the seed. */
    static final int DEFAULT_PAGE_SIZE = 100;
    /** {@code Metadata.initiatedBy} of an event recorded without it (the API records it on every command). */
    static final String UNKNOWN_INITIATOR = "unknown";

    /** Waits until the to-do list read model reflects a global position, at most {@code timeout}; says how it ended. */
    @FunctionalInterface
    public interface ReadModelWait {
        WaitOutcome await(long position, Duration timeout);
    }

    private final TodoCommands commands;
    private final TodoList list;
    private final EventSource<TodoEvent> events;
    private final ReadModelWait readModelWait;
    private final Function<String, Optional<TodoActivity>> activity;
    private final ApiLimits limits;
    private final Counter readWaitTimeouts;
    private final Counter readWaitsRefused;
    /**
     * Permits to wait for a position. A request's fields are fetched one after another on its thread (the
     * fetchers are synchronous), so a request holds at most one permit at a time: this bounds waiting requests.
     */
    private final Semaphore waiting;
    private final GraphQL graphQL;

    /**
     * @param activity the to-do's activity from the state projection, empty when not available here
     */
    public TodoGraphQL(TodoCommands commands, TodoList list, EventSource<TodoEvent> events, ReadModelWait readModelWait,
                       Function<String, Optional<TodoActivity>> activity, ApiLimits limits, MeterRegistry metrics) {
        this.commands = Objects.requireNonNull(commands, "commands");
        this.list = Objects.requireNonNull(list, "list");
        this.events = Objects.requireNonNull(events, "events");
        this.readModelWait = Objects.requireNonNull(readModelWait, "readModelWait");
        this.activity = Objects.requireNonNull(activity, "activity");
        this.limits = Objects.requireNonNull(limits, "limits");
        this.readWaitTimeouts = Counter.builder("cqrs.read.your.writes.timeouts")
                .description("Queries that answered before the read model reached their minPosition").register(metrics);
        this.readWaitsRefused = Counter.builder("cqrs.read.your.writes.not.waited")
                .description("Queries that did not wait for their minPosition because the most allowed were waiting").register(metrics);
        this.waiting = new Semaphore(limits.maxWaitingQueries());
        Gauge.builder("cqrs.read.your.writes.waiting", waiting, w -> limits.maxWaitingQueries() - w.availablePermits())
                .description("Queries waiting now for the read model to reach their minPosition").register(metrics);
        this.graphQL = GraphQL.newGraphQL(schema())
                .instrumentation(new ChainedInstrumentation(List.of(
                        new MaxQueryDepthInstrumentation(limits.maxQueryDepth()),
                        new MaxQueryComplexityInstrumentation(limits.maxQueryComplexity(), new QueryCost(limits.maxPageSize())))))
                .defaultDataFetcherExceptionHandler(new ErrorMapping())
                .build();
    }

    ApiLimits limits() {
        return limits;
    }

    ExecutionResult execute(String query, Optional<String> operationName, Map<String, Object> variables, RequestContext context) {
        ExecutionInput input = ExecutionInput.newExecutionInput()
                .query(query)
                .operationName(operationName.orElse(null))
                .variables(variables)
                .graphQLContext(Map.of(RequestContext.KEY, context))
                .build();
        return graphQL.execute(input);
    }

    // ---- the schema and its wiring ----

    private GraphQLSchema schema() {
        String sdl;
        try (InputStream in = TodoGraphQL.class.getResourceAsStream("schema.graphqls")) {
            sdl = new String(Objects.requireNonNull(in, "schema.graphqls is missing").readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the GraphQL schema", e);
        }
        RuntimeWiring wiring = RuntimeWiring.newRuntimeWiring()
                .scalar(Scalars.POSITION)
                .scalar(Scalars.DATE_TIME_UTC)
                .scalar(Scalars.CURSOR)
                .type(TypeRuntimeWiring.newTypeWiring("Query")
                        .dataFetcher("apiVersion", env -> API_VERSION)
                        .dataFetcher("allTodos", this::allTodos)
                        .dataFetcher("todo", this::todo))
                .type(TypeRuntimeWiring.newTypeWiring("Mutations")
                        .dataFetcher("newTodo", this::newTodo)
                        .dataFetcher("todo", this::todoMutation))
                .type(TypeRuntimeWiring.newTypeWiring("TodoMutQL")
                        .dataFetcher("setDescription", command(env -> new TodoCommand.UpdateDescription(env.getArgument("text"))))
                        .dataFetcher("setReminder", command(env -> new TodoCommand.SetReminder(env.getArgument("time"))))
                        .dataFetcher("cancelReminder", command(env -> new TodoCommand.CancelReminder()))
                        .dataFetcher("toggle", command(env -> new TodoCommand.ToggleCompletion()))
                        .dataFetcher("complete", command(env -> new TodoCommand.MarkCompleted()))
                        .dataFetcher("reset", command(env -> new TodoCommand.ResetCompleted())))
                .type(TypeRuntimeWiring.newTypeWiring("TodoQL")
                        .dataFetcher("events", this::history)
                        .dataFetcher("activity", env -> activity.apply(env.<TodoView>getSource().id()).orElse(null)))
                .type(TypeRuntimeWiring.newTypeWiring("TodoEdge")
                        .dataFetcher("id", env -> env.<Edge>getSource().node().id()))
                .type(TypeRuntimeWiring.newTypeWiring("VersionedTodoEvent")
                        .dataFetcher("sequence", env -> env.<VersionedEventWithMetadata<TodoEvent>>getSource().sequence().value())
                        .dataFetcher("event", env -> env.<VersionedEventWithMetadata<TodoEvent>>getSource().event())
                        .dataFetcher("metadata", env -> env.<VersionedEventWithMetadata<TodoEvent>>getSource().metadata()))
                .type(TypeRuntimeWiring.newTypeWiring("TodoEvent")
                        .typeResolver(env -> env.getSchema().getObjectType(env.<TodoEvent>getObject().eventType())))
                .type(TypeRuntimeWiring.newTypeWiring("Created")
                        .dataFetcher("initialDescription", env -> env.<TodoEvent.Created>getSource().description()))
                .type(TypeRuntimeWiring.newTypeWiring("DescriptionUpdated")
                        .dataFetcher("newDescription", env -> env.<TodoEvent.DescriptionUpdated>getSource().description()))
                .type(TypeRuntimeWiring.newTypeWiring("ReminderUpdated")
                        .dataFetcher("newReminder", env -> env.<TodoEvent.ReminderUpdated>getSource().reminder().orElse(null)))
                .type(TypeRuntimeWiring.newTypeWiring("Completed").dataFetcher("isComplete", env -> true))
                .type(TypeRuntimeWiring.newTypeWiring("Uncompleted").dataFetcher("isComplete", env -> false))
                .type(TypeRuntimeWiring.newTypeWiring("Metadata")
                        // The seed's field is non-null; every command of ours records who issued it.
                        .dataFetcher("initiatedBy", env -> env.<EventMetadata>getSource().initiatedBy().orElse(UNKNOWN_INITIATOR))
                        .dataFetcher("eventId", env -> env.<EventMetadata>getSource().eventId().toString())
                        .dataFetcher("correlationId", env -> env.<EventMetadata>getSource().correlationId().toString())
                        .dataFetcher("causationId", env -> env.<EventMetadata>getSource().causationId()
                                .map(Object::toString).orElse(null)))
                .build();
        return new SchemaGenerator().makeExecutableSchema(new SchemaParser().parse(sdl), wiring);
    }

    // ---- queries ----

    /** A page of the list: the GraphQL types TodoPage, TodoEdge and PageInfo. */
    record Page(long totalCount, List<Edge> edges, PageInfo pageInfo) {
    }

    record Edge(long cursor, TodoView node) {
    }

    record PageInfo(boolean hasNextPage, boolean hasPreviousPage, Optional<Long> startCursor, Optional<Long> endCursor) {
    }

    /**
     * The seed's paging: {@code first} absent, 0 or negative means the default page (100, the seed's), and more
     * than a page holds is clamped to it rather than refused.
     */
    private Page allTodos(DataFetchingEnvironment env) {
        int first = pageSize(env.getArgument("first"), limits.maxPageSize());
        Optional<Long> after = Optional.ofNullable(env.getArgument("after"));
        awaitReadModel(env);
        TodoPage page = list.page(first, after.map(OptionalLong::of).orElse(OptionalLong.empty()));
        List<Edge> edges = page.rows().stream().map(row -> new Edge(row.createdPosition(), TodoView.of(row))).toList();
        return new Page(page.totalCount(), edges, new PageInfo(page.hasNextPage(), after.isPresent(),
                edges.isEmpty() ? Optional.empty() : Optional.of(edges.getFirst().cursor()),
                edges.isEmpty() ? Optional.empty() : Optional.of(edges.getLast().cursor())));
    }

    /** The size of a page of {@code allTodos} for the argument {@code first}, by the seed's rules. */
    static int pageSize(Integer first, int maxPageSize) {
        int asked = first == null || first <= 0 ? DEFAULT_PAGE_SIZE : first;
        return Math.min(asked, maxPageSize);
    }

    /** The to-do from the read model; null when there is none, as in the seed. */
    private TodoView todo(DataFetchingEnvironment env) {
        String id = todoId(env);
        awaitReadModel(env);
        return list.find(id).map(TodoView::of).orElse(null);
    }

    /**
     * The seed's history: newest first, {@code maxCount} clamped to {@value #MAX_EVENTS} (0: none),
     * {@code before} 0 meaning before the first event (none); negative values are refused, as the seed refused them.
     */
    private List<VersionedEventWithMetadata<TodoEvent>> history(DataFetchingEnvironment env) {
        Integer before = env.getArgument("before");
        int maxCount = Objects.requireNonNullElse(env.<Integer>getArgument("maxCount"), DEFAULT_EVENTS);
        if (maxCount < 0) {
            throw ApiException.badRequest("maxCount must be a positive number, not " + maxCount);
        }
        if (before != null && before < 0) {
            throw ApiException.badRequest("before must be an event number, 1 or more, not " + before);
        }
        if (maxCount == 0 || (before != null && before <= 1)) {
            return List.of();
        }
        return events.readEventsBackward(env.<TodoView>getSource().id(),
                before == null ? Before.endOfStream() : Before.event(before), Math.min(maxCount, MAX_EVENTS));
    }

    /**
     * Waits, bounded, for the query's minPosition; answers with what the read model has either way. All waits of
     * one request end by one deadline ({@link ApiLimits#maxReadWait()} after its first), and at most
     * {@link ApiLimits#maxWaitingQueries()} requests wait at once: beyond that, a query only checks once.
     */
    private void awaitReadModel(DataFetchingEnvironment env) {
        Long minPosition = env.getArgument("minPosition");
        if (minPosition == null) {
            return;
        }
        RequestContext context = context(env);
        if (context.hasSeenReached(minPosition)) {
            context.awaited(minPosition, RequestContext.ReadYourWrites.REACHED, 0);
            return;
        }
        Duration remaining = context.remainingWait(limits.maxReadWait());
        boolean permitted = !remaining.isZero() && waiting.tryAcquire();
        long started = System.nanoTime();
        WaitOutcome outcome;
        try {
            // Without a permit or time left, one check (a zero timeout) still tells whether the position is there.
            outcome = readModelWait.await(minPosition, permitted ? remaining : Duration.ZERO);
        } catch (RuntimeException e) {
            throw new TodoList.ReadModelUnavailableException("waiting for position " + minPosition + " failed: " + e.getMessage(), e);
        } finally {
            if (permitted) {
                waiting.release();
            }
        }
        RequestContext.ReadYourWrites how = outcome == WaitOutcome.TIMED_OUT && !permitted && !remaining.isZero()
                ? RequestContext.ReadYourWrites.NOT_WAITED : RequestContext.ReadYourWrites.of(outcome);
        RequestContext.ReadYourWrites before = context.awaited(minPosition, how, (System.nanoTime() - started) / 1_000_000);
        // Counted once per request, when its outcome first becomes this bad.
        if (how.ordinal() > before.ordinal()) {
            switch (how) {
                case TIMED_OUT -> readWaitTimeouts.increment();
                case NOT_WAITED -> readWaitsRefused.increment();
                default -> { }
            }
        }
    }

    // ---- mutations ----

    private TodoView newTodo(DataFetchingEnvironment env) {
        RequestContext context = context(env);
        context.requireMayMutate();
        String text = env.getArgument("text");
        Optional<Instant> reminder = Optional.ofNullable(env.getArgument("reminderTime"));
        return commands.create(text, reminder, context.commandMetadata(Optional.ofNullable(env.getArgument("idempotencyKey"))));
    }

    /** The object of {@code Mutation.todo(id)}: the id, checked, for the command fields below it. */
    private String todoMutation(DataFetchingEnvironment env) {
        context(env).requireMayMutate();
        return todoId(env);
    }

    /** A command field of {@code TodoMutQL}: the to-do as the command left it, null when there is no such to-do. */
    private DataFetcher<TodoView> command(Function<DataFetchingEnvironment, TodoCommand> command) {
        return env -> {
            RequestContext context = context(env);
            Integer expected = env.getArgument("expectedVersion");
            return commands.execute(env.getSource(), command.apply(env),
                    expected == null ? OptionalLong.empty() : OptionalLong.of(expected),
                    context.commandMetadata(Optional.ofNullable(env.getArgument("idempotencyKey")))).orElse(null);
        };
    }

    // ---- helpers ----

    private static String todoId(DataFetchingEnvironment env) {
        String id = env.getArgument("id");
        try {
            return Names.checkVerbatim("to-do id", id, StreamId.MAX_ID_LENGTH);
        } catch (StreamId.InvalidNameException e) {
            throw ApiException.badRequest(e.getMessage());
        }
    }

    private static RequestContext context(DataFetchingEnvironment env) {
        return env.getGraphQlContext().get(RequestContext.KEY);
    }
}
