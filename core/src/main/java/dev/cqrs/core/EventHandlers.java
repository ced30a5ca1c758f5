package dev.cqrs.core;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The handlers of one consumer (a projection, a fold, a reaction), one per event type: the one registry
 * every kind of consumer uses, so that each registers, matches and refuses the same way.
 *
 * <ul>
 *   <li>{@link Builder#on} registers a handler for a type; a second handler for the same type is refused
 *       at once, naming the consumer;</li>
 *   <li>{@link #find} gives an event's handler: the one of its own class, else of the nearest superclass,
 *       else of an interface it implements (its class's interfaces first, in declaration order, then
 *       theirs, then the superclasses'), so that a handler of a sealed interface serves all its records;</li>
 *   <li>an event type with no handler has none: the consumer skips it.</li>
 * </ul>
 *
 * <p>The lookup walks the type hierarchy once per concrete class and remembers the answer.
 *
 * @param <E> the consumer's event type
 * @param <H> its handler type
 */
public final class EventHandlers<E, H> {

    private final String owner;
    private final Map<Class<?>, H> registered;
    private final ClassValue<Optional<H>> resolved = new ClassValue<>() {
        @Override
        protected Optional<H> computeValue(Class<?> type) {
            return resolve(type);
        }
    };

    private EventHandlers(Builder<E, H> builder) {
        this.owner = builder.owner;
        this.registered = Map.copyOf(builder.handlers);
    }

    /** @param owner names the consumer in errors: {@code "projection todo_list"} */
    public static <E, H> Builder<E, H> builder(String owner) {
        return new Builder<>(owner);
    }

    /** The handler of an event of {@code type}, if it or a supertype of it has one. */
    public Optional<H> find(Class<?> type) {
        return resolved.get(type);
    }

    /** The event types with a handler. */
    public Set<Class<?>> types() {
        return registered.keySet();
    }

    public boolean isEmpty() {
        return registered.isEmpty();
    }

    private Optional<H> resolve(Class<?> type) {
        for (Class<?> c = type; c != null; c = c.getSuperclass()) {
            H handler = registered.get(c);
            if (handler != null) {
                return Optional.of(handler);
            }
        }
        Deque<Class<?>> interfaces = new ArrayDeque<>();
        for (Class<?> c = type; c != null; c = c.getSuperclass()) {
            interfaces.addAll(List.of(c.getInterfaces()));
        }
        while (!interfaces.isEmpty()) {
            Class<?> next = interfaces.removeFirst();
            H handler = registered.get(next);
            if (handler != null) {
                return Optional.of(handler);
            }
            interfaces.addAll(List.of(next.getInterfaces()));
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        return "handlers of " + owner + " for " + registered.keySet().stream().map(Class::getSimpleName).toList();
    }

    /** Collects the handlers of one consumer. */
    public static final class Builder<E, H> {
        private final String owner;
        private final Map<Class<?>, H> handlers = new LinkedHashMap<>();

        private Builder(String owner) {
            this.owner = Objects.requireNonNull(owner, "owner");
        }

        /**
         * The handler of events of {@code type} (and of its subtypes that have none of their own).
         *
         * @throws IllegalArgumentException when {@code type} has a handler already
         */
        public <T extends E> Builder<E, H> on(Class<T> type, H handler) {
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(handler, "handler");
            if (handlers.putIfAbsent(type, handler) != null) {
                throw new IllegalArgumentException(owner + ": " + type.getSimpleName() + " has a handler already");
            }
            return this;
        }

        public EventHandlers<E, H> build() {
            return new EventHandlers<>(this);
        }
    }
}
