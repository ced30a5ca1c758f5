package dev.cqrs.codec.json;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
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

    /** Jackson's message without the source excerpt it appends, which may hold a whole payload. */
    static String reason(JsonProcessingException e) {
        String message = e.getOriginalMessage();
        return e.getLocation() == null ? message
                : message + " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")";
    }
}
