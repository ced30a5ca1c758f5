package dev.cqrs.core;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * What is recorded with every event besides its payload.
 *
 * @param eventId       unique per event, assigned when it is appended; consumers deduplicate by it
 * @param correlationId shared by everything caused by one request
 * @param causationId   the command or event that caused this one, when known
 * @param initiatedBy   the user or system that issued the command, when known
 * @param recordedAt    when the store accepted the event
 * @param headers       free key-value pairs
 */
public record EventMetadata(
        UUID eventId,
        UUID correlationId,
        Optional<UUID> causationId,
        Optional<String> initiatedBy,
        Instant recordedAt,
        Map<String, String> headers) {

    public EventMetadata {
        Objects.requireNonNull(eventId, "eventId");
        Objects.requireNonNull(correlationId, "correlationId");
        Objects.requireNonNull(causationId, "causationId");
        Objects.requireNonNull(initiatedBy, "initiatedBy");
        Objects.requireNonNull(recordedAt, "recordedAt");
        headers = Map.copyOf(headers);
    }

    /** The metadata of one event appended by a command with {@code command} metadata. */
    public static EventMetadata of(UUID eventId, CommandMetadata command, Instant recordedAt) {
        return new EventMetadata(eventId, command.correlationId(), command.causationId(), command.initiatedBy(),
                recordedAt, command.headers());
    }
}
