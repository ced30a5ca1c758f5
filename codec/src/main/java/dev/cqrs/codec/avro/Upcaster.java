package dev.cqrs.codec.avro;

import java.util.Objects;
import java.util.function.Function;
import java.util.function.Predicate;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.generic.GenericRecordBuilder;

/**
 * A named conversion of stored events that Avro's schema resolution cannot read into a current
 * event record: an event type renamed or retired, a field split or merged, a type changed.
 *
 * <p>When the {@link AvroEventCodec} decodes an event whose stored type is {@link #eventType()} and
 * whose writer schema satisfies {@link #writtenWith()}, it reads the payload in its own writer schema
 * (no resolution), hands that record to {@link #conversion()}, and maps the result, by field name,
 * onto the current record of the type it names (a field missing from the result takes its default).
 * The first upcaster that applies wins; the result must name a current event type (upcasters do not
 * chain: convert straight to today's shape). Nothing is rewritten in the store: upcasting happens on
 * every read of such an event.
 *
 * <p>An upcaster for a type that is still written must narrow {@link #writtenWith()} to the old
 * writer schemas, or it also receives events written today.
 *
 * <pre>{@code
 * // "Renamed" was renamed to "TitleChanged", and its field "name" to "title".
 * new Upcaster("Renamed to TitleChanged", "Renamed", (old, newRecord) ->
 *         new Upcaster.Upcasted("TitleChanged", newRecord.apply("TitleChanged").set("title", old.get("name")).build()));
 * }</pre>
 *
 * @param name        for error messages and logs, e.g. {@code "split fullName"}; unique within a codec
 * @param eventType   the stored event type it applies to
 * @param writtenWith which writer schemas it applies to
 * @param conversion  from the stored record to a record of a current event type
 */
public record Upcaster(String name, String eventType, Predicate<Schema> writtenWith, Conversion conversion) {

    public Upcaster {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(eventType, "eventType");
        Objects.requireNonNull(writtenWith, "writtenWith");
        Objects.requireNonNull(conversion, "conversion");
        if (name.isBlank() || eventType.isBlank()) {
            throw new IllegalArgumentException("an upcaster needs a name and an event type");
        }
    }

    /** An upcaster for every stored event of {@code eventType}, whatever its writer schema. */
    public Upcaster(String name, String eventType, Conversion conversion) {
        this(name, eventType, writer -> true, conversion);
    }

    /** Turns a stored record into a record of a current event type. */
    @FunctionalInterface
    public interface Conversion {

        /**
         * @param old       the stored event, read in its writer schema ({@code old.getSchema()}); strings
         *                  are {@code String}s, timestamps {@code long} milliseconds
         * @param newRecord a builder for a record in the current schema of the named event type
         *                  (fields with defaults are pre-filled on {@code build()})
         */
        Upcasted convert(GenericRecord old, Function<String, GenericRecordBuilder> newRecord);
    }

    /** What a conversion returns: the current event type and the record to map onto it. */
    public record Upcasted(String eventType, GenericRecord record) {

        public Upcasted {
            Objects.requireNonNull(eventType, "eventType");
            Objects.requireNonNull(record, "record");
        }
    }
}
