package dev.cqrs.todo.api;

import dev.cqrs.core.CommandMetadata;
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
    private long awaitedPosition = -1;
    private boolean reached = true;
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

    /** Records a read-your-writes wait for the response's extensions. */
    synchronized void awaited(long position, boolean wasReached, long millis) {
        awaitedPosition = Math.max(awaitedPosition, position);
        reached &= wasReached;
        waitedMillis += millis;
    }

    /** {@code readYourWrites} for the response's extensions, when a query waited for a position. */
    synchronized Optional<Map<String, Object>> readYourWritesExtension() {
        if (awaitedPosition < 0) {
            return Optional.empty();
        }
        Map<String, Object> extension = new LinkedHashMap<>();
        extension.put("minPosition", Long.toString(awaitedPosition));
        extension.put("reached", reached);
        extension.put("waitedMillis", waitedMillis);
        return Optional.of(extension);
    }
}
