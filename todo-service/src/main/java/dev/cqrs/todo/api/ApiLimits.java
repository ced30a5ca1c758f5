package dev.cqrs.todo.api;

import java.time.Duration;
import java.util.Objects;

/**
 * What one request may ask of the API.
 *
 * @param maxBodyBytes       the largest request body; larger ones are refused unread (HTTP 413)
 * @param maxQueryDepth      the deepest selection (only introspection types nest without end)
 * @param maxQueryComplexity the largest cost of one operation: every field costs 1, to-do reads 10,
 *                           commands {@value QueryCost#COMMAND}, and list fields times their size
 *                           argument (see {@link QueryCost})
 * @param maxPageSize        the largest {@code first} of {@code allTodos}
 * @param maxReadWait        the longest a query waits for its {@code minPosition}
 */
public record ApiLimits(int maxBodyBytes, int maxQueryDepth, int maxQueryComplexity, int maxPageSize, Duration maxReadWait) {

    public static final ApiLimits DEFAULTS = new ApiLimits(64 * 1024, 20, 5_000, 100, Duration.ofSeconds(5));

    public ApiLimits {
        Objects.requireNonNull(maxReadWait, "maxReadWait");
    }
}
