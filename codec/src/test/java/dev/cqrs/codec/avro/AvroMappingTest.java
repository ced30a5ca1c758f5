package dev.cqrs.codec.avro;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cqrs.codec.avro.AvroMapping.RecordMapping;
import java.io.ByteArrayOutputStream;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.generic.GenericRecordBuilder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.junit.jupiter.api.Test;

/** The mapping's direct writer against Avro's own generic writer and reader, with no registry involved. */
class AvroMappingTest {

    enum Priority { LOW, HIGH }

    record Tag(String label, Optional<String> color) {
    }

    record Everything(String s, int i, long l, boolean b, double d, float f, byte[] raw, Instant at, UUID id,
                      Optional<Instant> reminder, List<Tag> tags, Priority priority, Optional<List<Integer>> scores) {
    }

    private final RecordMapping mapping = new SchemaDerivation("test").record(Everything.class);

    private static final Everything SAMPLE = new Everything("häh ✓", -7, Long.MAX_VALUE, true, 2.5, -0.25f,
            new byte[] {0, 1, (byte) 255}, Instant.ofEpochMilli(1_767_225_600_123L), UUID.fromString("6a1f1c9e-3b1d-4f4a-9c55-0d1b2f8e7a10"),
            Optional.empty(), List.of(new Tag("home", Optional.of("red")), new Tag("work", Optional.empty())), Priority.HIGH,
            Optional.of(List.of(3, 1, 2)));

    private byte[] writeDirect(Object value) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
        mapping.write(value, encoder);
        encoder.flush();
        return out.toByteArray();
    }

    @Test
    void theDirectWriterWritesTheBytesAvrosGenericWriterWrites() throws Exception {
        GenericRecord tagHome = new GenericRecordBuilder(mapping.schema().getField("tags").schema().getElementType())
                .set("label", "home").set("color", "red").build();
        GenericRecord tagWork = new GenericRecordBuilder(tagHome.getSchema()).set("label", "work").build();
        GenericRecord generic = new GenericRecordBuilder(mapping.schema())
                .set("s", "häh ✓").set("i", -7).set("l", Long.MAX_VALUE).set("b", true).set("d", 2.5).set("f", -0.25f)
                .set("raw", java.nio.ByteBuffer.wrap(new byte[] {0, 1, (byte) 255})).set("at", 1_767_225_600_123L)
                .set("id", "6a1f1c9e-3b1d-4f4a-9c55-0d1b2f8e7a10").set("tags", List.of(tagHome, tagWork))
                .set("priority", new GenericData.EnumSymbol(mapping.schema().getField("priority").schema(), "HIGH"))
                .set("scores", List.of(3, 1, 2))
                .build();
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(expected, null);
        new GenericDatumWriter<GenericRecord>(mapping.schema()).write(generic, encoder);
        encoder.flush();

        assertThat(writeDirect(SAMPLE)).isEqualTo(expected.toByteArray());
    }

    @Test
    void whatIsWrittenReadsBackAsTheSameValue() throws Exception {
        byte[] bytes = writeDirect(SAMPLE);
        GenericRecord datum = new GenericDatumReader<GenericRecord>(mapping.schema())
                .read(null, DecoderFactory.get().binaryDecoder(bytes, null));

        Everything read = (Everything) mapping.read(datum);

        assertThat(read).usingRecursiveComparison().ignoringFields("raw").isEqualTo(SAMPLE);
        assertThat(read.raw()).isEqualTo(SAMPLE.raw());
        assertThat(read.tags()).isUnmodifiable();
    }

    @Test
    void anInstantKeepsMillisecondsOnly() throws Exception {
        Everything precise = new Everything("", 0, 0, false, 0, 0, new byte[0], Instant.parse("2026-01-01T00:00:00.123456789Z"),
                UUID.randomUUID(), Optional.empty(), List.of(), Priority.LOW, Optional.empty());
        GenericRecord datum = new GenericDatumReader<GenericRecord>(mapping.schema())
                .read(null, DecoderFactory.get().binaryDecoder(writeDirect(precise), null));

        assertThat(((Everything) mapping.read(datum)).at()).isEqualTo(Instant.parse("2026-01-01T00:00:00.123Z"));
    }

    @Test
    void aNullComponentIsRefusedWithItsPath() {
        Everything nullLabel = new Everything("s", 0, 0, false, 0, 0, new byte[0], Instant.EPOCH, UUID.randomUUID(),
                Optional.empty(), Arrays.asList(new Tag("ok", Optional.empty()), new Tag(null, Optional.empty())),
                Priority.LOW, Optional.empty());
        Everything nullString = new Everything(null, 0, 0, false, 0, 0, new byte[0], Instant.EPOCH, UUID.randomUUID(),
                Optional.empty(), List.of(), Priority.LOW, Optional.empty());

        assertThatThrownBy(() -> writeDirect(nullLabel))
                .isInstanceOf(MappingException.class)
                .hasMessage("field 'tags[1].label' of Tag is null: declare it Optional if it may be absent");
        assertThatThrownBy(() -> writeDirect(nullString))
                .hasMessage("field 's' of Everything is null: declare it Optional if it may be absent");
    }

    @Test
    void aRecordInAnotherSchemaIsReadByFieldNameWithDefaultsForWhatIsMissing() {
        RecordMapping tag = new SchemaDerivation("test").record(Tag.class);
        GenericRecord older = new GenericRecordBuilder(org.apache.avro.SchemaBuilder.record("Label").fields()
                .requiredString("label").requiredInt("weight").endRecord()).set("label", "x").set("weight", 3).build();
        GenericRecord noLabel = new GenericRecordBuilder(org.apache.avro.SchemaBuilder.record("Tag").fields()
                .optionalString("color").endRecord()).build();

        assertThat(tag.read(older)).isEqualTo(new Tag("x", Optional.empty()));
        assertThatThrownBy(() -> tag.read(noLabel))
                .isInstanceOf(MappingException.class)
                .hasMessage("field 'label' of Tag is missing from record Tag and has no default");
    }
}
