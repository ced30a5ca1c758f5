package dev.cqrs.core.dcb;

import dev.cqrs.core.Tag;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Which events a decision depends on, as the DCB specification defines it: the events that match any
 * of its {@link QueryItem items}, or every event ({@link #all()}).
 *
 * <pre>{@code
 * Query.of(
 *         QueryItem.ofTypes(CourseDefined.class, StudentSubscribed.class).withTags(Tag.of("course", courseId)),
 *         QueryItem.ofTypes(StudentSubscribed.class).withTags(Tag.of("student", studentId)))
 * }</pre>
 *
 * A query is read ({@link DcbEventSource#read}) to build a decision, and the same query in an
 * {@link AppendCondition} makes the append fail if a matching event arrived since.
 */
public final class Query {

    private static final Query ALL = new Query(List.of());

    private final List<QueryItem> items;

    private Query(List<QueryItem> items) {
        this.items = items;
    }

    /** Every event (of the store's aggregate type). */
    public static Query all() {
        return ALL;
    }

    /**
     * The events that match any of {@code items}.
     *
     * @throws IllegalArgumentException when there is no item: a query must name at least one (or be
     *                                  {@link #all()})
     */
    public static Query of(QueryItem... items) {
        return of(List.of(items));
    }

    /** The events that match any of {@code items}; see {@link #of(QueryItem...)}. */
    public static Query of(List<QueryItem> items) {
        Objects.requireNonNull(items, "items");
        if (items.isEmpty()) {
            throw new IllegalArgumentException("a query needs at least one item; the query that matches every event"
                    + " is Query.all()");
        }
        return new Query(List.copyOf(new LinkedHashSet<>(items)));
    }

    /** This query and one more item. */
    public Query or(QueryItem item) {
        if (isAll()) {
            return this;
        }
        List<QueryItem> more = new ArrayList<>(items);
        more.add(Objects.requireNonNull(item, "item"));
        return of(more);
    }

    /** The items; empty for {@link #all()}. */
    public List<QueryItem> items() {
        return items;
    }

    /** Whether this is the query that matches every event. */
    public boolean isAll() {
        return items.isEmpty();
    }

    /** Whether an event of {@code eventType} carrying {@code tags} matches. */
    public boolean matches(String eventType, Set<Tag> tags) {
        if (isAll()) {
            return true;
        }
        for (QueryItem item : items) {
            if (item.matches(eventType, tags)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Query q && items.equals(q.items);
    }

    @Override
    public int hashCode() {
        return items.hashCode();
    }

    @Override
    public String toString() {
        if (isAll()) {
            return "all events";
        }
        StringBuilder text = new StringBuilder();
        for (QueryItem item : items) {
            text.append(text.isEmpty() ? "" : " or ").append(item);
        }
        return text.toString();
    }
}
