package dev.cqrs.core;

/**
 * Something that happened to an aggregate. Events are immutable facts: declare an aggregate's events
 * as a sealed interface of records that extends this one.
 *
 * <p>An event's type name is stored beside its payload and tells codecs which record to decode. It is
 * the record's simple class name, so renaming an event record is a schema change: keep the old name,
 * or add an upcaster in the codec.
 */
public interface Event {

    /** The name stored with the event, e.g. {@code "DescriptionUpdated"}. */
    default String eventType() {
        return eventTypeOf(getClass());
    }

    /** The type name of events of this class: its simple name. */
    static String eventTypeOf(Class<?> eventClass) {
        return eventClass.getSimpleName();
    }
}
