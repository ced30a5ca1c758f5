package dev.cqrs.todo.domain;

import dev.cqrs.core.Rejection;
import java.util.Optional;

/**
 * The rules of a to-do's description: surrounding white space is dropped, and what is left must be
 * 1 to {@link #MAX_LENGTH} characters of valid text. Newlines and tabs are fine; other control
 * characters (NUL among them, which PostgreSQL text cannot hold) and broken Unicode are refused.
 */
final class Description {

    /** The longest description, in Unicode code points. */
    static final int MAX_LENGTH = 1_000;

    private Description() {
    }

    /** The normalised description, or why it is refused. */
    static Result check(String text) {
        String trimmed = text.strip();
        if (trimmed.isEmpty()) {
            return new Result(trimmed, Optional.of(Rejection.of(TodoRejections.VALIDATION, "the description must not be empty")));
        }
        int length = trimmed.codePointCount(0, trimmed.length());
        if (length > MAX_LENGTH) {
            return new Result(trimmed, Optional.of(Rejection.of(TodoRejections.VALIDATION,
                    "the description is " + length + " characters long; the limit is " + MAX_LENGTH)));
        }
        for (int i = 0; i < trimmed.length(); i++) {
            char c = trimmed.charAt(i);
            boolean control = Character.isISOControl(c) && c != '\n' && c != '\t' && c != '\r';
            boolean brokenSurrogate = Character.isHighSurrogate(c)
                    ? i + 1 >= trimmed.length() || !Character.isLowSurrogate(trimmed.charAt(++i))
                    : Character.isLowSurrogate(c);
            if (control || brokenSurrogate) {
                return new Result(trimmed, Optional.of(Rejection.of(TodoRejections.VALIDATION,
                        "the description must not contain control characters or broken Unicode")));
            }
        }
        return new Result(trimmed, Optional.empty());
    }

    record Result(String description, Optional<Rejection> rejection) {
    }
}
