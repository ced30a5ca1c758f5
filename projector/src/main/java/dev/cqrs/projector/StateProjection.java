package dev.cqrs.projector;

import dev.cqrs.core.StreamId;
import dev.cqrs.core.codec.EventCodec;
import dev.cqrs.core.codec.StateCodec;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A read model kept in a Kafka Streams state store: one value per aggregate id, folded from that
 * aggregate's events, queryable through {@link Projector#query}. The store is changelogged, and with
 * exactly_once_v2 a value reflects each event exactly once.
 */
public final class StateProjection<S, E> {

    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_]{0,40}");

    /** Folds one event type into the value. */
    @FunctionalInterface
    public interface Fold<S, T> {
        S apply(S value, ProjectionEvent<T> event);
    }

    private final String name;
    private final String topic;
    private final EventCodec<E> codec;
    private final StateCodec<S> valueCodec;
    private final S initial;
    private final Map<Class<?>, Fold<S, ?>> folds;

    private StateProjection(Builder<S, E> b) {
        this.name = b.name;
        this.topic = b.topic;
        this.codec = b.codec;
        this.valueCodec = b.valueCodec;
        this.initial = Objects.requireNonNull(b.initial, "the state projection needs an initial value");
        this.folds = Map.copyOf(b.folds);
    }

    public static <S, E> Builder<S, E> builder(String name, String topic, EventCodec<E> codec, StateCodec<S> valueCodec) {
        return new Builder<>(name, topic, codec, valueCodec);
    }

    public String name() {
        return name;
    }

    String topic() {
        return topic;
    }

    EventCodec<E> codec() {
        return codec;
    }

    StateCodec<S> valueCodec() {
        return valueCodec;
    }

    S initial() {
        return initial;
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    S apply(S value, ProjectionEvent<E> event) {
        Fold fold = folds.get(event.event().getClass());
        return fold == null ? value : (S) fold.apply(value, event);
    }

    /** Builds a {@link StateProjection}. */
    public static final class Builder<S, E> {
        private final String name;
        private final String topic;
        private final EventCodec<E> codec;
        private final StateCodec<S> valueCodec;
        private S initial;
        private final Map<Class<?>, Fold<S, ?>> folds = new LinkedHashMap<>();

        private Builder(String name, String topic, EventCodec<E> codec, StateCodec<S> valueCodec) {
            if (!NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("projection name '" + name + "' must be a lower-case identifier");
            }
            this.name = name;
            this.topic = StreamId.checkName("topic", topic, 249);
            this.codec = Objects.requireNonNull(codec, "codec");
            this.valueCodec = Objects.requireNonNull(valueCodec, "valueCodec");
        }

        /** The value of an aggregate before its first event. */
        public Builder<S, E> initial(S value) {
            this.initial = value;
            return this;
        }

        public <T extends E> Builder<S, E> on(Class<T> type, Fold<S, T> fold) {
            folds.put(type, Objects.requireNonNull(fold, "fold"));
            return this;
        }

        public StateProjection<S, E> build() {
            return new StateProjection<>(this);
        }
    }
}
