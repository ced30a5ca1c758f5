package dev.cqrs.core.dcb;

import dev.cqrs.core.EventNumber;
import dev.cqrs.core.StreamId;
import dev.cqrs.core.Tag;
import java.util.Objects;
import java.util.Set;

/**
 * An append condition that did not hold: which append, which condition, and what was found, the first
 * event after the condition's position that matches its query. This is DCB's optimistic-concurrency
 * conflict: someone else appended an event the decision depends on after the decision read.
 *
 * @param stream    the stream the refused append was for
 * @param condition the condition that failed
 * @param found     the first (lowest-position) event that matches the condition's query after its position
 */
public record AppendConditionFailed(StreamId stream, AppendCondition condition, Found found) {

    public AppendConditionFailed {
        Objects.requireNonNull(stream, "stream");
        Objects.requireNonNull(condition, "condition");
        Objects.requireNonNull(found, "found");
    }

    /**
     * A stored event, as far as the condition's check needs it (it is not decoded).
     *
     * @param position  its global position, after the condition's
     * @param stream    the stream it belongs to
     * @param sequence  its number there
     * @param eventType its type name
     * @param tags      its tags, sorted
     */
    public record Found(long position, StreamId stream, EventNumber sequence, String eventType, Set<Tag> tags) {
        public Found {
            Objects.requireNonNull(stream, "stream");
            Objects.requireNonNull(sequence, "sequence");
            Objects.requireNonNull(eventType, "eventType");
            tags = Tag.sorted(tags);
        }

        @Override
        public String toString() {
            return eventType + " at position " + position + " (" + stream + "#" + sequence.value()
                    + (tags.isEmpty() ? ", untagged)" : ", tagged " + String.join(", ", tags.stream().map(Tag::text).toList()) + ")");
        }
    }

    /** A sentence for logs and API errors. */
    public String message() {
        return "append condition failed for " + stream + ": expected no event matching " + condition.failIfEventsMatch()
                + (condition.after() == 0 ? "" : " after position " + condition.after()) + ", but found " + found;
    }
}
