package dev.cqrs.todo.domain;

import dev.cqrs.core.Aggregate;
import dev.cqrs.core.Decision;
import dev.cqrs.core.Rejection;
import dev.cqrs.todo.domain.TodoCommand.CancelReminder;
import dev.cqrs.todo.domain.TodoCommand.CreateTodo;
import dev.cqrs.todo.domain.TodoCommand.MarkCompleted;
import dev.cqrs.todo.domain.TodoCommand.ResetCompleted;
import dev.cqrs.todo.domain.TodoCommand.SetReminder;
import dev.cqrs.todo.domain.TodoCommand.ToggleCompletion;
import dev.cqrs.todo.domain.TodoCommand.UpdateDescription;
import dev.cqrs.todo.domain.TodoEvent.Completed;
import dev.cqrs.todo.domain.TodoEvent.Created;
import dev.cqrs.todo.domain.TodoEvent.DescriptionUpdated;
import dev.cqrs.todo.domain.TodoEvent.ReminderUpdated;
import dev.cqrs.todo.domain.TodoEvent.Uncompleted;
import dev.cqrs.todo.domain.TodoState.Absent;
import dev.cqrs.todo.domain.TodoState.Todo;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * The to-do, as a decider. Rules:
 * <ul>
 *   <li>a description must not be empty and is at most 1,000 characters (see {@code Description});</li>
 *   <li>a reminder must be in the future (by the aggregate's clock); reminders keep millisecond precision;</li>
 *   <li>a command that changes nothing produces no event;</li>
 *   <li>any command but CreateTodo on a missing to-do is {@code NOT_INITIALIZED};
 *       CreateTodo on an existing one is {@code ALREADY_CREATED};</li>
 *   <li>input is validated before the to-do's state is looked at.</li>
 * </ul>
 */
public final class TodoAggregate implements Aggregate<TodoState, TodoCommand, TodoEvent> {

    /** The aggregate type: the name of the to-dos' streams and topic. */
    public static final String TYPE = "todo";

    private final Clock clock;

    public TodoAggregate(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    @Override
    public String aggregateType() {
        return TYPE;
    }

    @Override
    public TodoState initialState() {
        return new Absent();
    }

    @Override
    public Decision<TodoEvent> decide(TodoState state, TodoCommand command) {
        return switch (command) {
            case CreateTodo create -> create(state, create);
            case UpdateDescription update -> {
                Description.Result description = Description.check(update.description());
                if (description.rejection().isPresent()) {
                    yield Decision.reject(description.rejection().get());
                }
                yield onTodo(state, todo -> todo.description().equals(description.description())
                        ? Decision.nothing()
                        : Decision.accept(new DescriptionUpdated(description.description())));
            }
            case SetReminder set -> {
                Instant reminder = set.reminder().truncatedTo(ChronoUnit.MILLIS);
                Optional<Rejection> invalid = checkFuture(reminder);
                if (invalid.isPresent()) {
                    yield Decision.reject(invalid.get());
                }
                yield onTodo(state, todo -> todo.reminder().equals(Optional.of(reminder))
                        ? Decision.nothing()
                        : Decision.accept(new ReminderUpdated(Optional.of(reminder))));
            }
            case CancelReminder cancel -> onTodo(state, todo -> todo.reminder().isEmpty()
                    ? Decision.nothing()
                    : Decision.accept(new ReminderUpdated(Optional.empty())));
            case ToggleCompletion toggle -> onTodo(state, todo -> todo.completed()
                    ? Decision.accept(new Uncompleted())
                    : Decision.accept(new Completed()));
            case MarkCompleted mark -> onTodo(state, todo -> todo.completed()
                    ? Decision.nothing()
                    : Decision.accept(new Completed()));
            case ResetCompleted reset -> onTodo(state, todo -> todo.completed()
                    ? Decision.accept(new Uncompleted())
                    : Decision.nothing());
        };
    }

    @Override
    public TodoState apply(TodoState state, TodoEvent event) {
        return switch (event) {
            case Created created -> new Todo(created.description(), Optional.empty(), false);
            case DescriptionUpdated updated -> todo(state, event).withDescription(updated.description());
            case ReminderUpdated updated -> todo(state, event).withReminder(updated.reminder());
            case Completed completed -> todo(state, event).withCompleted(true);
            case Uncompleted uncompleted -> todo(state, event).withCompleted(false);
        };
    }

    private Decision<TodoEvent> create(TodoState state, CreateTodo create) {
        Description.Result description = Description.check(create.description());
        if (description.rejection().isPresent()) {
            return Decision.reject(description.rejection().get());
        }
        Optional<Instant> reminder = create.reminder().map(r -> r.truncatedTo(ChronoUnit.MILLIS));
        Optional<Rejection> invalid = reminder.flatMap(this::checkFuture);
        if (invalid.isPresent()) {
            return Decision.reject(invalid.get());
        }
        if (state instanceof Todo) {
            return Decision.reject(TodoRejections.ALREADY_CREATED, "this to-do already exists");
        }
        return reminder.isEmpty()
                ? Decision.accept(new Created(description.description()))
                : Decision.accept(new Created(description.description()), new ReminderUpdated(reminder));
    }

    private Optional<Rejection> checkFuture(Instant reminder) {
        Instant now = clock.instant();
        return reminder.isAfter(now) ? Optional.empty() : Optional.of(Rejection.of(TodoRejections.VALIDATION,
                "the reminder " + reminder + " must be in the future (now is " + now.truncatedTo(ChronoUnit.SECONDS) + ")"));
    }

    private static Decision<TodoEvent> onTodo(TodoState state, Function<Todo, Decision<TodoEvent>> decide) {
        return switch (state) {
            case Absent absent -> Decision.reject(TodoRejections.NOT_INITIALIZED, "this to-do does not exist");
            case Todo todo -> decide.apply(todo);
        };
    }

    private static Todo todo(TodoState state, TodoEvent event) {
        if (state instanceof Todo todo) {
            return todo;
        }
        throw new IllegalStateException(event.eventType() + " cannot apply to a to-do that was never created");
    }
}
