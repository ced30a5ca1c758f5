package dev.cqrs.codec.json;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import dev.cqrs.core.codec.CodecException;
import dev.cqrs.core.codec.StateCodec;
import java.io.IOException;

/**
 * An aggregate's state as a JSON object, for snapshots; same mapping as {@link JsonEventCodec}.
 * {@code S} must be a concrete class or record (a sealed state interface needs Jackson's
 * {@code @JsonTypeInfo} on it). A snapshot of an older shape should be told apart by the snapshot's
 * schema version, not by this codec. Thread-safe.
 *
 * @param <S> the aggregate's state
 */
public final class JsonStateCodec<S> implements StateCodec<S> {

    private final Class<S> type;
    private final ObjectWriter writer;
    private final ObjectReader reader;

    private JsonStateCodec(Class<S> type) {
        this.type = type;
        this.writer = JsonMappers.MAPPER.writerFor(type);
        this.reader = JsonMappers.MAPPER.readerFor(type);
    }

    /** A codec for states of {@code type}. */
    public static <S> JsonStateCodec<S> of(Class<S> type) {
        return new JsonStateCodec<>(type);
    }

    /** @return {@value JsonEventCodec#CONTENT_TYPE} */
    @Override
    public String contentType() {
        return JsonEventCodec.CONTENT_TYPE;
    }

    @Override
    public byte[] encode(S state) {
        try {
            return writer.writeValueAsBytes(state);
        } catch (JsonProcessingException e) {
            throw new CodecException("cannot encode state " + type.getSimpleName() + " as JSON: " + JsonMappers.reason(e), e);
        }
    }

    @Override
    public S decode(byte[] bytes) {
        try {
            return type.cast(reader.readValue(bytes));
        } catch (JsonProcessingException e) {
            throw new CodecException("cannot decode state " + type.getSimpleName() + " from JSON: " + JsonMappers.reason(e), e);
        } catch (IOException e) {
            throw new CodecException("cannot decode state " + type.getSimpleName() + " from JSON: " + e.getMessage(), e);
        }
    }
}
