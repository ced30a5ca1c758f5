package dev.cqrs.core;

import java.util.Objects;

/**
 * Why an aggregate refused a command, as a value for the edge: a machine-readable {@code code}
 * (e.g. {@code VALIDATION}, {@code NOT_INITIALIZED}, {@code ALREADY_CREATED}) and a sentence for people.
 */
public record Rejection(String code, String message) {

    /** The code of {@link #idempotencyKeyReused}: a client sent a key it had used for a command elsewhere. */
    public static final String IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED";

    public Rejection {
        Objects.requireNonNull(code, "code");
        Objects.requireNonNull(message, "message");
    }

    public static Rejection of(String code, String message) {
        return new Rejection(code, message);
    }

    /**
     * A command came with an idempotency key whose first command was on {@code firstUse}, another aggregate:
     * the client's mistake, told as such (the store answers a key with its first result, so this command
     * cannot be run under it).
     */
    public static Rejection idempotencyKeyReused(StreamId firstUse) {
        return new Rejection(IDEMPOTENCY_KEY_REUSED, "this idempotency key was already used for a command on " + firstUse);
    }
}
