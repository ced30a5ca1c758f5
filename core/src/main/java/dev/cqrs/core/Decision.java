package dev.cqrs.core;

import java.util.List;
import java.util.Objects;

/**
 * What an aggregate decided about a command: the events it causes (possibly none, when the command
 * changes nothing), or a {@link Rejection}.
 */
public sealed interface Decision<E> permits Decision.Accepted, Decision.Rejected {

    /** The command is accepted; these events record it. An empty list means it changed nothing. */
    record Accepted<E>(List<E> events) implements Decision<E> {
        public Accepted {
            events = List.copyOf(events);
        }
    }

    /** The command is refused; nothing is written. */
    record Rejected<E>(Rejection rejection) implements Decision<E> {
        public Rejected {
            Objects.requireNonNull(rejection, "rejection");
        }
    }

    @SafeVarargs
    static <E> Decision<E> accept(E... events) {
        return new Accepted<>(List.of(events));
    }

    static <E> Decision<E> accept(List<E> events) {
        return new Accepted<>(events);
    }

    /** Accepted, but nothing changes, so no event is written. */
    static <E> Decision<E> nothing() {
        return new Accepted<>(List.of());
    }

    static <E> Decision<E> reject(String code, String message) {
        return new Rejected<>(new Rejection(code, message));
    }

    static <E> Decision<E> reject(Rejection rejection) {
        return new Rejected<>(rejection);
    }
}
