package dev.cqrs.codec.json;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import dev.cqrs.core.Event;
import dev.cqrs.core.codec.CodecException;
import dev.cqrs.core.codec.EncodedEvent;
import dev.cqrs.core.codec.EventCodec;
import dev.cqrs.core.codec.EventTypes;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * Events of one aggregate as JSON objects: each record's components by name, {@code Optional} as the
 * value or {@code null}, {@code Instant} and other {@code java.time} values as ISO-8601 text,
 * {@code UUID} as text. The event type is stored beside the payload (it is the record's simple
 * name), never inside it.
 *
 * <p>Evolution: a reader ignores properties it does not know, and reads a missing {@code Optional}
 * component as empty; a missing component of another reference type arrives as {@code null} for
 * the record's constructor to refuse or replace. Renaming a record or a component is a breaking
 * change.
 *
 * <p>Thread-safe; one reader and one writer per event type are built up front and shared.
 *
 * @param <E> the aggregate's sealed event interface
 */
public final class JsonEventCodec<E extends Event> implements EventCodec<E> {

    /** The content type of every payload this codec writes, and the only one it reads. */
    public static final String CONTENT_TYPE = "application/json";

    private final Class<E> root;
    private final Map<Class<?>, ObjectWriter> writers;
    private final Map<String, ObjectReader> readers;

    private JsonEventCodec(Class<E> root) {
        this.root = root;
        EventTypes<E> types = EventTypes.of(root);
        Map<Class<?>, ObjectWriter> writers = new HashMap<>();
        Map<String, ObjectReader> readers = new HashMap<>();
        types.all().forEach((name, type) -> {
            writers.put(type, JsonMappers.MAPPER.writerFor(type));
            readers.put(name, JsonMappers.MAPPER.readerFor(type));
        });
        this.writers = Map.copyOf(writers);
        this.readers = Map.copyOf(readers);
    }

    /**
     * A codec for every event record permitted by {@code root}.
     *
     * @throws IllegalArgumentException when {@code root} is not sealed, or two events share a name
     */
    public static <E extends Event> JsonEventCodec<E> of(Class<E> root) {
        return new JsonEventCodec<>(root);
    }

    @Override
    public EncodedEvent encode(E event) {
        ObjectWriter writer = writers.get(event.getClass());
        if (writer == null) {
            throw new CodecException("cannot encode " + event.getClass().getName() + ": not an event of "
                    + root.getSimpleName());
        }
        try {
            return new EncodedEvent(event.eventType(), CONTENT_TYPE, writer.writeValueAsBytes(event));
        } catch (JsonProcessingException e) {
            throw new CodecException("cannot encode event '" + event.eventType() + "' as JSON: " + JsonMappers.reason(e), e);
        }
    }

    @Override
    public E decode(EncodedEvent encoded) {
        String type = encoded.eventType();
        if (!CONTENT_TYPE.equals(encoded.contentType())) {
            throw new CodecException("cannot decode event '" + type + "': content type '" + encoded.contentType()
                    + "' is not " + CONTENT_TYPE);
        }
        ObjectReader reader = readers.get(type);
        if (reader == null) {
            throw new CodecException("cannot decode event '" + type + "': not an event type of "
                    + root.getSimpleName() + " (known: " + String.join(", ", new TreeSet<>(readers.keySet())) + ")");
        }
        try {
            return root.cast(reader.readValue(encoded.payload()));
        } catch (JsonProcessingException e) {
            throw new CodecException("cannot decode event '" + type + "' from JSON: " + JsonMappers.reason(e), e);
        } catch (IOException e) {
            throw new CodecException("cannot decode event '" + type + "' from JSON: " + e.getMessage(), e);
        }
    }
}
