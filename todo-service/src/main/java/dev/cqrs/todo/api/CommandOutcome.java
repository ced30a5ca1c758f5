package dev.cqrs.todo.api;

import java.util.OptionalLong;

/**
 * What a command did (the GraphQL type {@code CommandResult}).
 *
 * @param position      the global position of the last event written; empty when nothing was written
 * @param eventsWritten 0 when the command changed nothing
 * @param replayed      an earlier command with the same idempotency key did this
 */
record CommandOutcome(TodoView todo, long version, OptionalLong position, int eventsWritten, boolean replayed) {
}
