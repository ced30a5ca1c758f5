package dev.cqrs.core;

import java.util.Set;

/**
 * Something that happened to an aggregate. Events are immutable facts: declare an aggregate's events
 * as a sealed interface of records that extends this one.
 *
 * <p>An event's type name is stored beside its payload and tells codecs which record to decode. It is
 * the record's simple class name, so renaming an event record is a schema change: keep the old name,
 * or add an upcaster in the codec.
 */
public interface Event {

    /**
     * The tags the store keeps with this event, chosen by the domain from the event's own fields,
     * e.g. {@code Set.of(Tag.of("course", courseId), Tag.of("student", studentId))}. Decisions find
     * events by tag across streams ({@code dev.cqrs.core.dcb}), and projections can select by tag.
     * None by default: an untagged event costs the store nothing extra.
     *
     * <p>Named after {@link #eventType()} rather than {@code tags()}, so that an event record may keep a
     * field called {@code tags} of its own.
     *
     * <p>Tags are part of the event's stored form: choose them so that they follow from the event's
     * fields, and keep them stable (a query that looks for a tag finds only the events stored with it).
     */
    default Set<Tag> eventTags() {
        return Set.of();
    }

    /** The name stored with the event, e.g. {@code "DescriptionUpdated"}. */
    default String eventType() {
        return eventTypeOf(getClass());
    }

    /** The type name of events of this class: its simple name. */
    static String eventTypeOf(Class<?> eventClass) {
        return eventClass.getSimpleName();
    }
}
