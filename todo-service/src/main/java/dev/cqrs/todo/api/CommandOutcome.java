package dev.cqrs.todo.api;

/**
 * What a command did (the GraphQL type {@code CommandResult}, at {@code TodoQL.command} of a mutation's answer).
 *
 * @param eventsWritten 0 when the command changed nothing
 * @param replayed      an earlier command with the same idempotency key did this; nothing new was written
 */
record CommandOutcome(int eventsWritten, boolean replayed) {
}
