package dev.cqrs.todo.api;

import dev.cqrs.core.CommandMetadata;
import dev.cqrs.core.CommandResult;
import dev.cqrs.core.EntityStore;
import dev.cqrs.core.Precondition;
import dev.cqrs.core.PreconditionFailed;
import dev.cqrs.core.Rejection;
import dev.cqrs.core.Version;
import dev.cqrs.todo.domain.TodoCommand;
import dev.cqrs.todo.domain.TodoCommand.CreateTodo;
import dev.cqrs.todo.domain.TodoEvent;
import dev.cqrs.todo.domain.TodoRejections;
import dev.cqrs.todo.domain.TodoState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;

/**
 * The command side of the API: runs a to-do command through the entity store (load, check the
 * precondition, decide, append with the loaded version expected, retry on a concurrent writer) and
 * turns the {@link CommandResult} into the to-do it left (with what the command did), nothing when there
 * is no such to-do (as the seed answered), or an {@link ApiException} with the API's code.
 *
 * <p>Metrics: {@code cqrs_commands_total{command, outcome}} (accepted, unchanged, replayed, rejected,
 * conflict, failed), {@code cqrs_command_conflicts_total{command}} and
 * {@code cqrs_command_duration_seconds{command}}.
 */
public final class TodoCommands {

    private final EntityStore<TodoState, TodoCommand, TodoEvent> todos;
    private final MeterRegistry metrics;

    /**
     * @param todos the to-dos' entity store; built with {@code retryOnConflict}, which serves commands
     *              without an expectedVersion (a command with one is never retried past it)
     */
    public TodoCommands(EntityStore<TodoState, TodoCommand, TodoEvent> todos, MeterRegistry metrics) {
        this.todos = Objects.requireNonNull(todos, "todos");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
    }

    /** Creates a to-do with a new id (a random UUID); the to-do it made. */
    TodoView create(String description, Optional<Instant> reminder, CommandMetadata metadata) {
        String id = UUID.randomUUID().toString();
        // No precondition: the aggregate's own rule (ALREADY_CREATED) covers an id that exists, and the
        // append expects the loaded version, so two creates of one id cannot both succeed.
        return run(id, new CreateTodo(description, reminder), Optional.empty(), metadata, true)
                .orElseThrow(() -> new IllegalStateException("to-do " + id + " was created but is not there"));
    }

    /**
     * Runs a command on the to-do {@code id}, at {@code expectedVersion} when given.
     *
     * @return the to-do as the command left it; empty when there is no such to-do (the seed answered null)
     */
    Optional<TodoView> execute(String id, TodoCommand command, OptionalLong expectedVersion, CommandMetadata metadata) {
        Optional<Precondition> precondition = Optional.empty();
        if (expectedVersion.isPresent()) {
            if (expectedVersion.getAsLong() < 0) {
                throw ApiException.badRequest("expectedVersion must not be negative: " + expectedVersion.getAsLong());
            }
            precondition = Optional.of(Precondition.expectedVersion(expectedVersion.getAsLong()));
        }
        return run(id, command, precondition, metadata, false);
    }

    private Optional<TodoView> run(String id, TodoCommand command, Optional<Precondition> precondition,
                                   CommandMetadata metadata, boolean creates) {
        String name = command.getClass().getSimpleName();
        Timer.Sample timing = Timer.start(metrics);
        String outcome = "failed";
        try {
            CommandResult<TodoState, TodoEvent> result = answerFor(id, creates,
                    todos.execute(id, command, precondition, metadata));
            switch (result) {
                case CommandResult.Accepted<TodoState, TodoEvent> accepted -> {
                    outcome = accepted.replayed() ? "replayed" : accepted.events().isEmpty() ? "unchanged" : "accepted";
                    return Optional.of(view(accepted));
                }
                case CommandResult.Rejected<TodoState, TodoEvent> rejected -> {
                    outcome = "rejected";
                    if (rejected.rejection().code().equals(TodoRejections.NOT_INITIALIZED)) {
                        return Optional.empty();
                    }
                    throw rejection(id, rejected);
                }
                case CommandResult.Conflict<TodoState, TodoEvent> conflict -> {
                    if (conflict.failure().actual().isEmpty()) {
                        outcome = "rejected";
                        return Optional.empty();
                    }
                    outcome = "conflict";
                    throw conflict(conflict.failure());
                }
            }
        } finally {
            timing.stop(Timer.builder("cqrs.command.duration").description("Time to run a to-do command")
                    .tag("command", name).register(metrics));
            Counter.builder("cqrs.commands").description("To-do commands by outcome")
                    .tag("command", name).tag("outcome", outcome).register(metrics).increment();
            if (outcome.equals("conflict")) {
                Counter.builder("cqrs.command.conflicts").description("Commands refused because the to-do was not at the expected version")
                        .tag("command", name).register(metrics).increment();
            }
        }
    }

    /**
     * A replayed key answers for the to-do it was first used on. A create names a new id at each try, so its
     * retry rightly answers with the first try's to-do; any other command on another to-do is the client's
     * mistake, answered as the entity store answers a key used on another aggregate type.
     */
    private static CommandResult<TodoState, TodoEvent> answerFor(String id, boolean creates,
                                                               CommandResult<TodoState, TodoEvent> result) {
        if (!creates && result instanceof CommandResult.Accepted<TodoState, TodoEvent> accepted && accepted.replayed()
                && !accepted.stream().aggregateId().equals(id)) {
            return new CommandResult.Rejected<>(accepted.stream(), Rejection.idempotencyKeyReused(accepted.stream()));
        }
        return result;
    }

    private static TodoView view(CommandResult.Accepted<TodoState, TodoEvent> accepted) {
        String actualId = accepted.stream().aggregateId();
        if (!(accepted.aggregate().state() instanceof TodoState.Todo todo)) {
            throw new IllegalStateException("to-do " + actualId + " was accepted but is not created");
        }
        int written = accepted.append().map(a -> a.eventCount()).orElse(0);
        return TodoView.of(actualId, todo, accepted.version().asLong(), accepted.lastPosition(),
                new CommandOutcome(written, accepted.replayed()));
    }

    private static ApiException rejection(String id, CommandResult.Rejected<TodoState, TodoEvent> rejected) {
        String reason = rejected.rejection().message();
        return switch (rejected.rejection().code()) {
            case TodoRejections.VALIDATION -> new ApiException(ErrorCode.VALIDATION, reason);
            case TodoRejections.ALREADY_CREATED -> new ApiException(ErrorCode.ALREADY_CREATED, "to-do " + id + " exists already");
            case Rejection.IDEMPOTENCY_KEY_REUSED -> ApiException.badRequest(reason);
            default -> new ApiException(ErrorCode.BAD_REQUEST, reason, Map.of("reason", rejected.rejection().code()));
        };
    }

    private static ApiException conflict(PreconditionFailed failure) {
        String id = failure.stream().aggregateId();
        Map<String, Object> details = new LinkedHashMap<>();
        if (failure.precondition() instanceof Precondition.ExpectedVersion expected) {
            details.put("expectedVersion", expected.version().asLong());
        }
        long actual = failure.actual().map(Version::asLong).orElse(0L);
        details.put("actualVersion", actual);
        String message = failure.precondition() instanceof Precondition.ExpectedVersion expected
                ? "to-do " + id + " is at version " + actual + ", not " + expected.version().asLong()
                + ": it changed since you read it; read it again and retry"
                : "to-do " + id + " was changed concurrently too often; retry";
        return new ApiException(ErrorCode.CONFLICT, message, details);
    }
}
