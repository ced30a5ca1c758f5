package dev.cqrs.projector;

import dev.cqrs.codec.kafka.EventTopic;
import dev.cqrs.core.EventHandlers;
import dev.cqrs.core.Names;
import dev.cqrs.core.RecordedEvent;
import dev.cqrs.core.codec.EventCodec;
import dev.cqrs.core.codec.StateCodec;
import java.util.Objects;
import java.util.Optional;
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
        S apply(S value, RecordedEvent<T> event);
    }

    private final String name;
    private final String topic;
    private final EventCodec<E> codec;
    private final StateCodec<S> valueCodec;
    private final S initial;
    private final EventHandlers<E, Fold<S, ?>> folds;

    private StateProjection(Builder<S, E> b) {
        this.name = b.name;
        this.topic = b.topic;
        this.codec = b.codec;
        this.valueCodec = b.valueCodec;
        this.initial = Objects.requireNonNull(b.initial, "the state projection needs an initial value");
        this.folds = b.folds.build();
    }

    /**
     * @param events     the events it folds: {@code relayConfig.eventTopic(aggregateType, codec)} for this
     *                   service's own, {@link EventTopic#of} for another's
     * @param valueCodec how the state of one key is stored
     */
    public static <S, E> Builder<S, E> builder(String name, EventTopic<E> events, StateCodec<S> valueCodec) {
        return new Builder<>(name, events.name(), events.codec(), valueCodec);
    }

    /** {@link #builder(String, EventTopic, StateCodec)} with the topic and its codec given one by one. */
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

    /** Folds the event into the value with the fold of its type (or of a supertype); an event with none leaves it. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    S apply(S value, RecordedEvent<E> event) {
        Optional<Fold<S, ?>> fold = folds.find(event.event().getClass());
        return fold.isEmpty() ? value : (S) ((Fold) fold.get()).apply(value, event);
    }

    /** Builds a {@link StateProjection}. */
    public static final class Builder<S, E> {
        private final String name;
        private final String topic;
        private final EventCodec<E> codec;
        private final StateCodec<S> valueCodec;
        private S initial;
        private final EventHandlers.Builder<E, Fold<S, ?>> folds;

        private Builder(String name, String topic, EventCodec<E> codec, StateCodec<S> valueCodec) {
            if (!NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("projection name '" + name + "' must be a lower-case identifier");
            }
            this.name = name;
            this.folds = EventHandlers.builder("state projection " + name);
            this.topic = Names.checkVerbatim("topic", topic, 249);
            this.codec = Objects.requireNonNull(codec, "codec");
            this.valueCodec = Objects.requireNonNull(valueCodec, "valueCodec");
        }

        /** The value of an aggregate before its first event. */
        public Builder<S, E> initial(S value) {
            this.initial = value;
            return this;
        }

        /**
         * The fold of events of {@code type}, and of its subtypes that have none of their own (see
         * {@link EventHandlers}); a second fold for one type is refused.
         */
        public <T extends E> Builder<S, E> on(Class<T> type, Fold<S, T> fold) {
            folds.on(type, fold);
            return this;
        }

        public StateProjection<S, E> build() {
            return new StateProjection<>(this);
        }
    }
}
