package dev.cqrs.todo.api;

import dev.cqrs.core.CommandMetadata;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What one HTTP request brings to its GraphQL execution: who calls, its correlation id, its
 * {@code Idempotency-Key} header; and what the execution reports back (read-your-writes waits).
 */
final class RequestContext {

    /** The key of this object in graphql-java's {@code GraphQLContext}. */
    static final String KEY = RequestContext.class.getName();

    private final String initiatedBy;
    private final boolean mayMutate;
    private final UUID correlationId;
    private final Optional<String> idempotencyKeyHeader;
    private final AtomicBoolean headerKeyUsed = new AtomicBoolean();
    // Read-your-writes: every wait of the request ends by one deadline, set by its first wait.
    private long waitDeadlineNanos;
    private boolean waitStarted;
    private long awaitedPosition = -1;
    private long reachedPosition = -1;
    private ReadYourWrites outcome = ReadYourWrites.REACHED;
    private long waitedMillis;

    /**
     * @param initiatedBy the token's subject, or anonymous
     * @param mayMutate   false when tokens are configured and the request brought none
     */
    RequestContext(String initiatedBy, boolean mayMutate, UUID correlationId, Optional<String> idempotencyKeyHeader) {
        this.initiatedBy = Objects.requireNonNull(initiatedBy, "initiatedBy");
        this.mayMutate = mayMutate;
        this.correlationId = Objects.requireNonNull(correlationId, "correlationId");
        this.idempotencyKeyHeader = Objects.requireNonNull(idempotencyKeyHeader, "idempotencyKeyHeader");
    }

    UUID correlationId() {
        return correlationId;
    }

    /** @throws ApiException UNAUTHORIZED when this request may not run commands */
    void requireMayMutate() {
        if (!mayMutate) {
            throw new ApiException(ErrorCode.UNAUTHORIZED, "mutations need an 'Authorization: Bearer <token>' header with a valid API token");
        }
    }

    /**
     * The metadata of one command: the caller, the correlation id, and the idempotency key from the
     * argument or, for the first command of the request only, from the header. Keys are scoped by
     * caller, so two clients cannot collide.
     */
    CommandMetadata commandMetadata(Optional<String> idempotencyKeyArgument) {
        Optional<String> key = idempotencyKeyArgument;
        if (key.isEmpty() && idempotencyKeyHeader.isPresent()) {
            if (headerKeyUsed.getAndSet(true)) {
                throw ApiException.badRequest("the Idempotency-Key header covers one command, and this request has more:"
                        + " give each command its own idempotencyKey argument");
            }
            key = idempotencyKeyHeader;
        }
        key.ifPresent(RequestContext::checkIdempotencyKey);
        CommandMetadata metadata = CommandMetadata.create().withCorrelationId(correlationId).withInitiatedBy(initiatedBy);
        return key.map(k -> metadata.withIdempotencyKey(initiatedBy + "/" + k)).orElse(metadata);
    }

    static void checkIdempotencyKey(String key) {
        if (key.isEmpty() || key.length() > 100 || !key.chars().allMatch(c -> c >= 0x21 && c <= 0x7e)) {
            throw ApiException.badRequest("an idempotency key must be 1-100 printable ASCII characters without spaces");
        }
    }

    /**
     * How long a wait of this request may still take: what is left of {@code limit} since its first wait.
     * The waits of one request share this deadline, so aliased fields cannot multiply the limit.
     */
    synchronized Duration remainingWait(Duration limit) {
        long now = System.nanoTime();
        if (!waitStarted) {
            waitStarted = true;
            waitDeadlineNanos = now + limit.toNanos();
        }
        return Duration.ofNanos(Math.max(0, waitDeadlineNanos - now));
    }

    /** Whether a wait of this request already saw the read model at {@code position} or later. */
    synchronized boolean hasSeenReached(long position) {
        return reachedPosition >= position;
    }

    /** Records how a read-your-writes wait ended, for the response's extensions; the request's outcome before it. */
    synchronized ReadYourWrites awaited(long position, ReadYourWrites how, long millis) {
        ReadYourWrites before = outcome;
        awaitedPosition = Math.max(awaitedPosition, position);
        if (how == ReadYourWrites.REACHED) {
            reachedPosition = Math.max(reachedPosition, position);
        }
        if (how.ordinal() > outcome.ordinal()) {
            outcome = how;
        }
        waitedMillis += millis;
        return before;
    }

    /**
     * {@code readYourWrites} for the response's extensions, when a query asked for a position:
     * {@code minPosition} (the highest asked for), {@code reached} (true only when every wait reached its
     * position), {@code outcome} (the worst of the waits, see {@link ReadYourWrites}), {@code waitedMillis},
     * and a {@code message} when not reached.
     */
    synchronized Optional<Map<String, Object>> readYourWritesExtension() {
        if (awaitedPosition < 0) {
            return Optional.empty();
        }
        Map<String, Object> extension = new LinkedHashMap<>();
        extension.put("minPosition", Long.toString(awaitedPosition));
        extension.put("reached", outcome == ReadYourWrites.REACHED);
        extension.put("outcome", outcome.name());
        extension.put("waitedMillis", waitedMillis);
        outcome.message().ifPresent(message -> extension.put("message", message));
        return Optional.of(extension);
    }

    /**
     * How the read-your-writes waits of a request ended, in increasing order of severity: the outcomes of
     * {@link WaitOutcome}, and one of the API's own.
     */
    enum ReadYourWrites {
        REACHED(null),
        DEAD_LETTERED("the event at a minPosition went to the dead-letter topic: the read model does not show it"),
        TIMED_OUT("the read model did not reach minPosition within the read wait: the data may not show your write yet"),
        NOT_WAITED("the service has as many queries waiting for a position as it allows: this one answered without"
                + " waiting, and the data may not show your write yet; retry later");

        private final String message;

        ReadYourWrites(String message) {
            this.message = message;
        }

        static ReadYourWrites of(WaitOutcome outcome) {
            return switch (outcome) {
                case REACHED -> REACHED;
                case DEAD_LETTERED -> DEAD_LETTERED;
                case TIMED_OUT -> TIMED_OUT;
            };
        }

        Optional<String> message() {
            return Optional.ofNullable(message);
        }
    }
}
