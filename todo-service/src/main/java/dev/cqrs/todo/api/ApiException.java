package dev.cqrs.todo.api;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * An error for the client: a code, a sentence, and optional details that go into the GraphQL error's
 * {@code extensions} beside the code (e.g. {@code expectedVersion} and {@code actualVersion} of a conflict).
 */
public final class ApiException extends RuntimeException {

    private final ErrorCode code;
    private final Map<String, Object> details;

    public ApiException(ErrorCode code, String message) {
        this(code, message, Map.of());
    }

    public ApiException(ErrorCode code, String message, Map<String, ?> details) {
        super(message, null, false, false);
        this.code = Objects.requireNonNull(code, "code");
        this.details = Map.copyOf(details);
    }

    public static ApiException badRequest(String message) {
        return new ApiException(ErrorCode.BAD_REQUEST, message);
    }

    public ErrorCode code() {
        return code;
    }

    /** {@code code} first, then the details. */
    public Map<String, Object> extensions() {
        Map<String, Object> extensions = new LinkedHashMap<>();
        extensions.put("code", code.name());
        extensions.putAll(details);
        return extensions;
    }
}
