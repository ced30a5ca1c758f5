package dev.cqrs.core.dcb;

import dev.cqrs.core.Event;
import dev.cqrs.core.Names;
import dev.cqrs.core.StreamId;
import dev.cqrs.core.Tag;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * One item of a {@link Query}, as the DCB specification defines it: an event matches when its type is
 * one of {@link #types()} (any type, when there are none) and its tags include all of {@link #tags()}
 * (any tags, when there are none). An item names at least one type or one tag; the query that matches
 * every event is {@link Query#all()}.
 *
 * <pre>{@code
 * QueryItem.ofTypes(CourseDefined.class, CourseCapacityChanged.class).withTags(Tag.of("course", "c1"))
 * QueryItem.ofTags(Tag.of("student", "s7"))          // any event about student s7
 * QueryItem.ofTypeNames("UsernameClaimed")           // every event of that type, tagged or not
 * }</pre>
 *
 * <p>Stores find items with tags through an index; an item with types only is a scan of the aggregate
 * type's events, and a conditional append on it is serialised against every append of the store (see
 * the store's documentation). Prefer tags.
 *
 * @param types event type names ({@link Event#eventType()}), sorted
 * @param tags  tags that a matching event carries, all of them, sorted
 */
public record QueryItem(Set<String> types, Set<Tag> tags) {

    public QueryItem {
        Objects.requireNonNull(types, "types");
        for (String type : types) {
            Names.checkVerbatim("event type", type, StreamId.MAX_TYPE_LENGTH);
        }
        types = types.isEmpty() ? Set.of() : Collections.unmodifiableSortedSet(new TreeSet<>(types));
        tags = Tag.sorted(tags);
        if (types.isEmpty() && tags.isEmpty()) {
            throw new IllegalArgumentException("a query item needs at least one event type or tag;"
                    + " the query that matches every event is Query.all()");
        }
    }

    /** Events of any of these classes (their {@link Event#eventTypeOf type names}). */
    @SafeVarargs
    public static QueryItem ofTypes(Class<? extends Event>... types) {
        Set<String> names = new HashSet<>();
        for (Class<? extends Event> type : types) {
            names.add(Event.eventTypeOf(Objects.requireNonNull(type, "type")));
        }
        return new QueryItem(names, Set.of());
    }

    /** Events of any of these type names. */
    public static QueryItem ofTypeNames(String... types) {
        return new QueryItem(new HashSet<>(Arrays.asList(types)), Set.of());
    }

    /** Events of any type that carry all of these tags. */
    public static QueryItem ofTags(Tag... tags) {
        return new QueryItem(Set.of(), new HashSet<>(Arrays.asList(tags)));
    }

    /** This item, further requiring all of {@code more} tags. */
    public QueryItem withTags(Tag... more) {
        Set<Tag> all = new HashSet<>(tags);
        all.addAll(Arrays.asList(more));
        return new QueryItem(types, all);
    }

    /** Whether an event of {@code eventType} carrying {@code eventTags} matches this item. */
    public boolean matches(String eventType, Set<Tag> eventTags) {
        return (types.isEmpty() || types.contains(eventType)) && eventTags.containsAll(tags);
    }

    @Override
    public String toString() {
        if (tags.isEmpty()) {
            return "types " + types;
        }
        return types.isEmpty() ? "tags " + tags : "types " + types + " tagged " + tags;
    }
}
