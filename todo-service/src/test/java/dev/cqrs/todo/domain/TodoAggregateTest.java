package dev.cqrs.todo.domain;

import static dev.cqrs.todo.domain.TodoRejections.ALREADY_CREATED;
import static dev.cqrs.todo.domain.TodoRejections.NOT_INITIALIZED;
import static dev.cqrs.todo.domain.TodoRejections.VALIDATION;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cqrs.core.testing.AggregateScenario;
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
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Every command in every relevant state: absent, created, completed or not, reminder set or not. */
class TodoAggregateTest {

    static final Instant NOW = Instant.parse("2026-11-27T12:00:00Z");
    static final Instant LATER = NOW.plus(Duration.ofHours(1));
    static final Instant MUCH_LATER = NOW.plus(Duration.ofDays(2));
    static final Instant EARLIER = NOW.minus(Duration.ofMinutes(1));

    final AggregateScenario<TodoState, TodoCommand, TodoEvent> todo =
            AggregateScenario.of(new TodoAggregate(Clock.fixed(NOW, ZoneOffset.UTC)));

    static final TodoEvent CREATED = new Created("buy milk");
    static final TodoEvent REMINDED = new ReminderUpdated(Optional.of(LATER));

    @Nested
    class WhenAbsent {

        @Test
        void createTodoGivesCreated() {
            todo.when(new CreateTodo("buy milk", Optional.empty()))
                    .thenEvents(new Created("buy milk"))
                    .thenState(new TodoState.Todo("buy milk", Optional.empty(), false));
        }

        @Test
        void createTodoWithAReminderGivesCreatedThenReminderUpdated() {
            todo.when(new CreateTodo("buy milk", Optional.of(LATER)))
                    .thenEvents(new Created("buy milk"), new ReminderUpdated(Optional.of(LATER)))
                    .thenState(new TodoState.Todo("buy milk", Optional.of(LATER), false));
        }

        @Test
        void theDescriptionIsTrimmed() {
            todo.when(new CreateTodo("  buy milk \n", Optional.empty())).thenEvents(new Created("buy milk"));
        }

        static Stream<TodoCommand> everyCommandButCreate() {
            return Stream.of(new UpdateDescription("x"), new SetReminder(LATER), new CancelReminder(),
                    new ToggleCompletion(), new MarkCompleted(), new ResetCompleted());
        }

        @ParameterizedTest
        @MethodSource("everyCommandButCreate")
        void everyOtherCommandIsNotInitialized(TodoCommand command) {
            todo.when(command).thenRejected(NOT_INITIALIZED);
        }
    }

    @Nested
    class WhenCreated {

        @Test
        void createTodoAgainIsAlreadyCreated() {
            todo.given(CREATED).when(new CreateTodo("buy milk", Optional.empty())).thenRejected(ALREADY_CREATED);
            todo.given(CREATED).when(new CreateTodo("other", Optional.of(LATER))).thenRejected(ALREADY_CREATED);
        }

        @Test
        void aNewDescriptionIsUpdated() {
            todo.given(CREATED).when(new UpdateDescription("buy oat milk")).thenEvents(new DescriptionUpdated("buy oat milk"));
        }

        @Test
        void theSameDescriptionChangesNothing() {
            todo.given(CREATED).when(new UpdateDescription("buy milk")).thenNothing();
            todo.given(CREATED).when(new UpdateDescription(" buy milk ")).thenNothing();
            todo.given(CREATED, new DescriptionUpdated("b")).when(new UpdateDescription("b")).thenNothing();
        }

        @Test
        void aReminderIsSet() {
            todo.given(CREATED).when(new SetReminder(LATER)).thenEvents(new ReminderUpdated(Optional.of(LATER)));
        }

        @Test
        void theSameReminderChangesNothingAndANewOneReplacesIt() {
            todo.given(CREATED, REMINDED).when(new SetReminder(LATER)).thenNothing();
            todo.given(CREATED, REMINDED).when(new SetReminder(MUCH_LATER))
                    .thenEvents(new ReminderUpdated(Optional.of(MUCH_LATER)));
        }

        @Test
        void aReminderKeepsMillisecondsSoTheSameInstantWithNanosChangesNothing() {
            todo.given(CREATED, REMINDED).when(new SetReminder(LATER.plusNanos(999))).thenNothing();
        }

        @Test
        void cancellingASetReminderClearsItAndCancellingNoneChangesNothing() {
            todo.given(CREATED, REMINDED).when(new CancelReminder()).thenEvents(new ReminderUpdated(Optional.empty()))
                    .thenState(new TodoState.Todo("buy milk", Optional.empty(), false));
            todo.given(CREATED).when(new CancelReminder()).thenNothing();
            todo.given(CREATED, REMINDED, new ReminderUpdated(Optional.empty())).when(new CancelReminder()).thenNothing();
        }

        @Test
        void toggleCompletesAnOpenTodoAndReopensACompletedOne() {
            todo.given(CREATED).when(new ToggleCompletion()).thenEvents(new Completed());
            todo.given(CREATED, new Completed()).when(new ToggleCompletion()).thenEvents(new Uncompleted());
            todo.given(CREATED, new Completed(), new Uncompleted()).when(new ToggleCompletion()).thenEvents(new Completed());
        }

        @Test
        void markCompletedCompletesOnlyAnOpenTodo() {
            todo.given(CREATED).when(new MarkCompleted()).thenEvents(new Completed())
                    .thenState(new TodoState.Todo("buy milk", Optional.empty(), true));
            todo.given(CREATED, new Completed()).when(new MarkCompleted()).thenNothing();
        }

        @Test
        void resetCompletedReopensOnlyACompletedTodo() {
            todo.given(CREATED, new Completed()).when(new ResetCompleted()).thenEvents(new Uncompleted());
            todo.given(CREATED).when(new ResetCompleted()).thenNothing();
        }

        @Test
        void completionAndRemindersAreIndependent() {
            todo.given(CREATED, REMINDED, new Completed()).when(new CancelReminder())
                    .thenEvents(new ReminderUpdated(Optional.empty()))
                    .thenState(new TodoState.Todo("buy milk", Optional.empty(), true));
            todo.given(CREATED, REMINDED, new Completed()).when(new ToggleCompletion())
                    .thenState(new TodoState.Todo("buy milk", Optional.of(LATER), false));
        }
    }

    @Nested
    class Validation {

        @ParameterizedTest
        @ValueSource(strings = {"", " ", "\n\t "})
        void anEmptyDescriptionIsRejected(String empty) {
            todo.when(new CreateTodo(empty, Optional.empty()))
                    .thenRejected(VALIDATION, r -> assertThat(r.message()).contains("must not be empty"));
            todo.given(CREATED).when(new UpdateDescription(empty)).thenRejected(VALIDATION);
        }

        @Test
        void aDescriptionOfAThousandCharactersIsAcceptedAndOneMoreIsRejected() {
            todo.when(new CreateTodo("a".repeat(1_000), Optional.empty())).thenEvents(new Created("a".repeat(1_000)));
            todo.when(new CreateTodo("a".repeat(1_001), Optional.empty()))
                    .thenRejected(VALIDATION, r -> assertThat(r.message()).contains("1001").contains("limit is 1000"));
            todo.given(CREATED).when(new UpdateDescription("b".repeat(5_000))).thenRejected(VALIDATION);
        }

        @Test
        void theLimitCountsCharactersNotUtf16Units() {
            String emoji = "\uD83D\uDE00".repeat(1_000);
            todo.when(new CreateTodo(emoji, Optional.empty())).thenEvents(new Created(emoji));
        }

        @ParameterizedTest
        @ValueSource(strings = {"nul\u0000byte", "bell\u0007", "esc\u001B[31m", "broken\uD83D", "\uDE00lone"})
        void controlCharactersAndBrokenUnicodeAreRejected(String bad) {
            todo.when(new CreateTodo(bad, Optional.empty())).thenRejected(VALIDATION);
        }

        @Test
        void newlinesTabsAndUnicodeAreFine() {
            todo.when(new CreateTodo("line one\nline\ttwo — ünïcödé 你好", Optional.empty()))
                    .thenEvents(new Created("line one\nline\ttwo — ünïcödé 你好"));
        }

        @Test
        void aReminderInThePastOrNowIsRejected() {
            todo.when(new CreateTodo("x", Optional.of(EARLIER)))
                    .thenRejected(VALIDATION, r -> assertThat(r.message()).contains("must be in the future"));
            todo.when(new CreateTodo("x", Optional.of(NOW))).thenRejected(VALIDATION);
            todo.given(CREATED).when(new SetReminder(EARLIER)).thenRejected(VALIDATION);
        }

        @Test
        void inputIsValidatedBeforeTheStateIsLookedAt() {
            todo.when(new UpdateDescription("")).thenRejected(VALIDATION);
            todo.when(new SetReminder(EARLIER)).thenRejected(VALIDATION);
            todo.given(CREATED).when(new CreateTodo("", Optional.empty())).thenRejected(VALIDATION);
        }
    }

    static Stream<Arguments> noOps() {
        return Stream.of(
                Arguments.of(new UpdateDescription("buy milk")),
                Arguments.of(new CancelReminder()),
                Arguments.of(new ResetCompleted()));
    }

    @ParameterizedTest
    @MethodSource("noOps")
    void commandsThatChangeNothingOnAFreshTodoProduceNoEvent(TodoCommand command) {
        todo.given(CREATED).when(command).thenNothing();
    }
}
