package dev.cqrs.core;

import java.util.Objects;

/**
 * Why an aggregate refused a command, as a value for the edge: a machine-readable {@code code}
 * (e.g. {@code VALIDATION}, {@code NOT_INITIALIZED}, {@code ALREADY_CREATED}) and a sentence for people.
 */
public record Rejection(String code, String message) {

    public Rejection {
        Objects.requireNonNull(code, "code");
        Objects.requireNonNull(message, "message");
    }

    public static Rejection of(String code, String message) {
        return new Rejection(code, message);
    }
}
