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
 * @param maxPageSize        the largest page of {@code allTodos}: a larger {@code first} gets this many, as
 *                           the seed clamped it (to its own 1,000)
 * @param maxReadWait        the longest one request waits for its {@code minPosition} arguments, all of its
 *                           fields together: their waits share one deadline
 * @param maxWaitingQueries  how many requests may wait for a position at once; beyond it a query answers
 *                           without waiting and says so in {@code extensions.readYourWrites}
 */
public record ApiLimits(int maxBodyBytes, int maxQueryDepth, int maxQueryComplexity, int maxPageSize, Duration maxReadWait,
                        int maxWaitingQueries) {

    public static final ApiLimits DEFAULTS = new ApiLimits(64 * 1024, 20, 5_000, 100, Duration.ofSeconds(5), 64);

    public ApiLimits {
        Objects.requireNonNull(maxReadWait, "maxReadWait");
        if (maxWaitingQueries < 0) {
            throw new IllegalArgumentException("maxWaitingQueries must not be negative: " + maxWaitingQueries);
        }
    }
}
