package dev.cqrs.core;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * What the caller says about a command, copied onto every event it causes.
 *
 * @param correlationId  ties together everything caused by one request (a new one by default)
 * @param causationId    the message that caused this command, e.g. the event a reactor reacted to
 * @param initiatedBy    the user or system issuing it
 * @param idempotencyKey when present, a second command with the same key appends nothing and gets the
 *                       first one's result (keys are unique per store, across aggregates)
 * @param headers        free key-value pairs
 */
public record CommandMetadata(
        UUID correlationId,
        Optional<UUID> causationId,
        Optional<String> initiatedBy,
        Optional<String> idempotencyKey,
        Map<String, String> headers) {

    /** The longest idempotency key accepted, in characters. */
    public static final int MAX_IDEMPOTENCY_KEY_LENGTH = 200;
    /** The longest {@code initiatedBy} accepted, in characters. */
    public static final int MAX_INITIATED_BY_LENGTH = 200;
    /** At most this many headers. */
    public static final int MAX_HEADERS = 32;
    /** The longest header name, in characters. */
    public static final int MAX_HEADER_NAME_LENGTH = 100;
    /** The longest header value, in characters. */
    public static final int MAX_HEADER_VALUE_LENGTH = 2_000;

    public CommandMetadata {
        Objects.requireNonNull(correlationId, "correlationId");
        Objects.requireNonNull(causationId, "causationId");
        Objects.requireNonNull(initiatedBy, "initiatedBy");
        Objects.requireNonNull(idempotencyKey, "idempotencyKey");
        idempotencyKey.ifPresent(k -> Names.checkVerbatim("idempotency key", k, MAX_IDEMPOTENCY_KEY_LENGTH));
        initiatedBy.ifPresent(who -> Names.checkVerbatim("initiatedBy", who, MAX_INITIATED_BY_LENGTH));
        headers = Map.copyOf(headers);
        if (headers.size() > MAX_HEADERS) {
            throw new StreamId.InvalidNameException("at most " + MAX_HEADERS + " headers, got " + headers.size());
        }
        headers.forEach((name, value) -> {
            Names.checkVerbatim("header name", name, MAX_HEADER_NAME_LENGTH);
            checkHeaderValue(name, value);
        });
    }

    private static void checkHeaderValue(String name, String value) {
        if (value.length() > MAX_HEADER_VALUE_LENGTH) {
            throw new StreamId.InvalidNameException("header '" + name + "' is " + value.length()
                    + " characters long; the limit is " + MAX_HEADER_VALUE_LENGTH);
        }
        if (value.indexOf(0) >= 0) {
            throw new StreamId.InvalidNameException("header '" + name + "' must not contain NUL characters");
        }
    }

    /** A new correlation id and nothing else. */
    public static CommandMetadata create() {
        return new CommandMetadata(UUID.randomUUID(), Optional.empty(), Optional.empty(), Optional.empty(), Map.of());
    }

    public CommandMetadata withCorrelationId(UUID id) {
        return new CommandMetadata(id, causationId, initiatedBy, idempotencyKey, headers);
    }

    public CommandMetadata withCausationId(UUID id) {
        return new CommandMetadata(correlationId, Optional.of(id), initiatedBy, idempotencyKey, headers);
    }

    public CommandMetadata withInitiatedBy(String who) {
        return new CommandMetadata(correlationId, causationId, Optional.of(who), idempotencyKey, headers);
    }

    public CommandMetadata withIdempotencyKey(String key) {
        return new CommandMetadata(correlationId, causationId, initiatedBy, Optional.of(key), headers);
    }

    public CommandMetadata withHeader(String name, String value) {
        Map<String, String> more = new HashMap<>(headers);
        more.put(name, value);
        return new CommandMetadata(correlationId, causationId, initiatedBy, idempotencyKey, more);
    }
}
