package dev.cqrs.core.codec;

import dev.cqrs.core.Event;
import java.lang.reflect.Modifier;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The event classes of an aggregate by type name, found from its sealed event interface. Codecs use
 * it to decode: the stored type name picks the record class.
 */
public final class EventTypes<E extends Event> {

    private final Class<E> root;
    private final Map<String, Class<? extends E>> byName;

    private EventTypes(Class<E> root, Map<String, Class<? extends E>> byName) {
        this.root = root;
        this.byName = Collections.unmodifiableMap(byName);
    }

    /**
     * Every concrete class permitted, directly or through nested sealed interfaces, by {@code root}.
     *
     * @throws IllegalArgumentException when {@code root} is not sealed, or two events share a type name
     */
    public static <E extends Event> EventTypes<E> of(Class<E> root) {
        if (!root.isSealed()) {
            throw new IllegalArgumentException(root.getName() + " must be a sealed interface of the aggregate's events");
        }
        Map<String, Class<? extends E>> byName = new LinkedHashMap<>();
        Deque<Class<?>> todo = new ArrayDeque<>();
        todo.add(root);
        while (!todo.isEmpty()) {
            Class<?> type = todo.removeFirst();
            if (type.isSealed()) {
                todo.addAll(List.of(type.getPermittedSubclasses()));
            } else if (!type.isInterface() && !Modifier.isAbstract(type.getModifiers())) {
                Class<? extends E> event = type.asSubclass(root);
                Class<? extends E> clash = byName.put(Event.eventTypeOf(event), event);
                if (clash != null && clash != event) {
                    throw new IllegalArgumentException("events " + clash.getName() + " and " + event.getName()
                            + " share the type name '" + Event.eventTypeOf(event) + "'");
                }
            }
        }
        return new EventTypes<>(root, byName);
    }

    public Class<E> root() {
        return root;
    }

    /** The class of a stored type name. */
    public Optional<Class<? extends E>> classOf(String eventType) {
        return Optional.ofNullable(byName.get(eventType));
    }

    /** All type names and their classes, in discovery order. */
    public Map<String, Class<? extends E>> all() {
        return byName;
    }
}
