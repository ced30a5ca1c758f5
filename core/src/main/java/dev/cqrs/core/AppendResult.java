package dev.cqrs.core;

import java.util.Objects;

/**
 * What an append wrote.
 *
 * @param stream         the stream appended to
 * @param firstSequence  the number of the first event written
 * @param lastSequence   the number of the last event written: the stream's version after the append
 * @param firstPosition  the global position of the first event written
 * @param lastPosition   the global position of the last event written; a read model that has reached
 *                       it reflects this append (read-your-writes)
 * @param replayed       true when the idempotency key had been seen: this is the first append's result
 *                       and nothing new was written
 */
public record AppendResult(
        StreamId stream,
        EventNumber firstSequence,
        EventNumber lastSequence,
        long firstPosition,
        long lastPosition,
        boolean replayed) {

    public AppendResult {
        Objects.requireNonNull(stream, "stream");
        Objects.requireNonNull(firstSequence, "firstSequence");
        Objects.requireNonNull(lastSequence, "lastSequence");
        if (lastSequence.compareTo(firstSequence) < 0) {
            throw new IllegalArgumentException("last sequence " + lastSequence + " before first " + firstSequence);
        }
    }

    /** The stream's version right after this append. */
    public Version version() {
        return Version.of(lastSequence);
    }

    /** How many events the append wrote. */
    public int eventCount() {
        return Math.toIntExact(lastSequence.value() - firstSequence.value() + 1);
    }

    public AppendResult asReplay() {
        return new AppendResult(stream, firstSequence, lastSequence, firstPosition, lastPosition, true);
    }
}
