package dev.cqrs.codec.json;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

/** The one Jackson configuration of both JSON codecs. */
final class JsonMappers {

    /**
     * Records by their components, {@code Optional} as the value or {@code null}, {@code java.time}
     * as ISO-8601 text (readable in SQL). Unknown properties are ignored, so an older reader reads an
     * event written by a newer one (a tolerant reader); a JSON {@code null} or a missing value for a
     * primitive component is an error rather than a silent 0. Thread-safe once built.
     */
    static final ObjectMapper MAPPER = JsonMapper.builder()
            .addModule(new Jdk8Module())
            .addModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(DeserializationFeature.ADJUST_DATES_TO_CONTEXT_TIME_ZONE)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private JsonMappers() {
    }

    /**
     * Jackson's message with the path of the value (e.g. {@code lines[0].quantity}) and its line and
     * column, but without the source excerpt Jackson may append, which could hold a whole payload.
     */
    static String reason(JsonProcessingException e) {
        StringBuilder reason = new StringBuilder(e.getOriginalMessage());
        if (e instanceof JsonMappingException mapping && !mapping.getPath().isEmpty()) {
            StringBuilder path = new StringBuilder();
            for (JsonMappingException.Reference step : mapping.getPath()) {
                if (step.getFieldName() != null) {
                    path.append(path.isEmpty() ? "" : ".").append(step.getFieldName());
                } else if (step.getIndex() >= 0) {
                    path.append('[').append(step.getIndex()).append(']');
                }
            }
            reason.append(" at '").append(path).append('\'');
        }
        if (e.getLocation() != null) {
            reason.append(" (line ").append(e.getLocation().getLineNr()).append(", column ")
                    .append(e.getLocation().getColumnNr()).append(')');
        }
        return reason.toString();
    }
}
