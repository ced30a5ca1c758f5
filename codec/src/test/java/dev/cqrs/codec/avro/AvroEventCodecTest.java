package dev.cqrs.codec.avro;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cqrs.codec.registry.SchemaRegistryClient;
import dev.cqrs.core.codec.CodecException;
import dev.cqrs.core.codec.EncodedEvent;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.DecoderFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Avro codec against a real schema registry (the embedded one, speaking the Confluent REST API
 * over a real Kafka broker). Each test uses its own namespace, hence its own subjects.
 */
class AvroEventCodecTest {

    private static final UUID ID = UUID.fromString("f1d7e4a2-5c3b-4e8a-9b6d-1a2b3c4d5e6f");
    private static final Instant AT = Instant.parse("2026-04-01T08:30:00.250Z");
    private static final TodoV1.Created CREATED = new TodoV1.Created(ID, "buy milk", AT,
            List.of(new Tag("home", Optional.of("blue")), new Tag("errand", Optional.empty())), Priority.HIGH);

    private final List<SchemaRegistryClient> clients = new ArrayList<>();
    private String namespace;

    @BeforeEach
    void namespace() {
        namespace = TestRegistry.uniqueNamespace();
    }

    @AfterEach
    void closeClients() {
        clients.forEach(SchemaRegistryClient::close);
    }

    /** A client of its own, as another process would have: nothing cached. */
    private SchemaRegistryClient client() {
        SchemaRegistryClient client = SchemaRegistryClient.builder(TestRegistry.url()).build();
        clients.add(client);
        return client;
    }

    private AvroEventCodec<TodoV1> v1() {
        return AvroEventCodec.builder(TodoV1.class, namespace, client()).build();
    }

    private AvroEventCodec.Builder<TodoV2> v2() {
        return AvroEventCodec.builder(TodoV2.class, namespace, client());
    }

    private static int schemaIdOf(EncodedEvent encoded) {
        return ByteBuffer.wrap(encoded.payload(), 1, 4).getInt();
    }

    private static EncodedEvent withPayload(EncodedEvent encoded, byte[] payload) {
        return new EncodedEvent(encoded.eventType(), encoded.contentType(), payload);
    }

    @Test
    void everyEventRoundTrips() {
        AvroEventCodec<TodoV1> codec = v1();

        for (TodoV1 event : List.of(CREATED, new TodoV1.Completed(), new TodoV1.Renamed("milk"), new TodoV1.NameChanged("Ada Lovelace"))) {
            EncodedEvent encoded = codec.encode(event);

            assertThat(encoded.eventType()).isEqualTo(event.getClass().getSimpleName());
            assertThat(encoded.contentType()).isEqualTo("application/vnd.cqrs.avro");
            assertThat(codec.decode(encoded)).isEqualTo(event);
        }
        TodoV1.Attached attached = (TodoV1.Attached) codec.decode(codec.encode(new TodoV1.Attached(new byte[] {1, 2, 3}, Optional.of("image/png"))));
        assertThat(attached.data()).containsExactly(1, 2, 3);
        assertThat(attached.mediaType()).contains("image/png");
    }

    @Test
    void thePayloadIsMagicByteSchemaIdAndTheAvroBinaryOfTheRecord() throws Exception {
        AvroEventCodec<TodoV1> codec = v1();

        EncodedEvent encoded = codec.encode(CREATED);

        byte[] payload = encoded.payload();
        assertThat(payload[0]).isEqualTo((byte) 0);
        SchemaRegistryClient other = client();
        int id = schemaIdOf(encoded);
        assertThat(other.register(namespace + ".Created", codec.schemaOf(TodoV1.Created.class))).isEqualTo(id);
        assertThat(other.schemaById(id)).isEqualTo(codec.schemaOf(TodoV1.Created.class));
        GenericRecord body = new GenericDatumReader<GenericRecord>(other.schemaById(id))
                .read(null, DecoderFactory.get().binaryDecoder(payload, 5, payload.length - 5, null));
        assertThat(body.get("description")).hasToString("buy milk");
        assertThat(body.get("at")).isEqualTo(AT.toEpochMilli());
        assertThat(body.get("id")).hasToString(ID.toString());
    }

    @Test
    void eachEventTypeIsItsOwnSubjectNamedByTheRecordsAvroFullName() {
        AvroEventCodec<TodoV1> codec = v1();
        codec.encode(CREATED);
        codec.encode(new TodoV1.Completed());

        SchemaRegistryClient other = client();
        assertThat(codec.schemaOf(TodoV1.Created.class).getFullName()).isEqualTo(namespace + ".Created");
        assertThat(other.versions(namespace + ".Created")).containsExactly(1);
        assertThat(other.versions(namespace + ".Completed")).containsExactly(1);
        assertThat(other.versions(namespace + ".Renamed")).isEmpty();
    }

    @Test
    void registerAllRegistersEveryTypeUpFront() {
        AvroEventCodec<TodoV1> codec = v1();

        Map<String, Integer> ids = codec.registerAll();

        assertThat(ids).containsOnlyKeys("Created", "Completed", "Renamed", "NameChanged", "Attached");
        assertThat(client().versions(namespace + ".Attached")).containsExactly(1);
        assertThat(schemaIdOf(codec.encode(CREATED))).isEqualTo(ids.get("Created"));
    }

    @Test
    void malformedPayloadsAreRefusedSayingWhy() {
        AvroEventCodec<TodoV1> codec = v1();
        EncodedEvent good = codec.encode(CREATED);
        byte[] payload = good.payload();
        byte[] unknownId = payload.clone();
        ByteBuffer.wrap(unknownId).putInt(1, 987_654_321);

        assertThatThrownBy(() -> codec.decode(withPayload(good, new byte[] {0, 0, 1})))
                .isInstanceOf(CodecException.class)
                .hasMessage("cannot decode event 'Created': the payload has 3 bytes, fewer than the 5 of the wire format's"
                        + " header (magic byte, schema id)");
        assertThatThrownBy(() -> codec.decode(withPayload(good, "{\"description\":\"buy milk\"}".getBytes())))
                .isInstanceOf(CodecException.class)
                .hasMessage("cannot decode event 'Created': the payload starts with 0x7b, not the magic byte 0x00 of the"
                        + " schema registry wire format");
        assertThatThrownBy(() -> codec.decode(withPayload(good, unknownId)))
                .isInstanceOf(CodecException.class)
                .hasMessageStartingWith("cannot decode event 'Created': its writer schema (id 987654321) could not be fetched: ")
                .hasMessageContaining("40403");
        assertThatThrownBy(() -> codec.decode(withPayload(good, Arrays.copyOf(payload, payload.length - 1))))
                .isInstanceOf(CodecException.class)
                .hasMessageStartingWith("cannot decode event 'Created' (schema id " + schemaIdOf(good) + "): the Avro body is truncated");
        assertThatThrownBy(() -> codec.decode(withPayload(good, Arrays.copyOf(payload, payload.length + 2))))
                .isInstanceOf(CodecException.class)
                .hasMessageContaining("bytes are left after the record");
        assertThatThrownBy(() -> codec.decode(new EncodedEvent("Created", "application/json", payload)))
                .isInstanceOf(CodecException.class)
                .hasMessage("cannot decode event 'Created': content type 'application/json' is not application/vnd.cqrs.avro");
        assertThatThrownBy(() -> codec.decode(new EncodedEvent("Deleted", AvroEventCodec.CONTENT_TYPE, payload)))
                .isInstanceOf(CodecException.class)
                .hasMessageStartingWith("cannot decode event 'Deleted': not an event type of TodoV1");
    }

    @Test
    void aPayloadWrittenWithAnotherRecordsSchemaIsRefusedNotMisread() {
        AvroEventCodec<TodoV1> codec = v1();
        EncodedEvent renamed = codec.encode(new TodoV1.Renamed("milk"));

        assertThatThrownBy(() -> codec.decode(new EncodedEvent("Created", renamed.contentType(), renamed.payload())))
                .isInstanceOf(CodecException.class)
                .hasMessageContaining("cannot decode event 'Created' (schema id " + schemaIdOf(renamed) + ", " + namespace + ".Renamed)")
                .hasMessageContaining("cannot read it by Avro schema resolution");
    }

    @Test
    void aNullComponentFailsEncodeWithItsPath() {
        AvroEventCodec<TodoV1> codec = v1();

        assertThatThrownBy(() -> codec.encode(new TodoV1.Created(ID, null, AT, List.of(), Priority.LOW)))
                .isInstanceOf(CodecException.class)
                .hasMessage("cannot encode event 'Created': field 'description' of Created is null: declare it Optional if it may be absent");
    }

    @Test
    void oldEventsDecodeWithTheNewRecordAndNewEventsWithTheOld() {
        AvroEventCodec<TodoV1> oldCodec = v1();
        AvroEventCodec<TodoV2> newCodec = v2().build();
        TodoV2.Created withReminder = new TodoV2.Created(ID, "buy milk", AT, CREATED.tags(), Priority.HIGH, Optional.of(AT.plusSeconds(3600)));

        EncodedEvent old = oldCodec.encode(CREATED);
        EncodedEvent recent = newCodec.encode(withReminder);

        assertThat(schemaIdOf(recent)).isNotEqualTo(schemaIdOf(old));
        assertThat(client().versions(namespace + ".Created")).containsExactly(1, 2);
        assertThat(newCodec.decode(old)).isEqualTo(new TodoV2.Created(ID, "buy milk", AT, CREATED.tags(), Priority.HIGH, Optional.empty()));
        assertThat(oldCodec.decode(recent)).isEqualTo(CREATED);
    }

    @Test
    void anIncompatibleChangeIsRefusedAtEncodeAndTheRegistryKeepsTheOldVersionOnly() {
        v1().encode(CREATED);
        SchemaRegistryClient client = client();
        AvroEventCodec<TodoIncompatible> incompatible = AvroEventCodec.builder(TodoIncompatible.class, namespace, client).build();
        String subject = namespace + ".Created";

        assertThat(client.checkCompatibility(subject, incompatible.schemaOf(TodoIncompatible.Created.class)).isCompatible()).isFalse();
        assertThat(client.checkCompatibility(subject, v2().build().schemaOf(TodoV2.Created.class)).isCompatible()).isTrue();
        assertThatThrownBy(() -> incompatible.encode(new TodoIncompatible.Created(ID, "buy milk", AT, List.of(), Priority.LOW, "ada")))
                .isInstanceOf(CodecException.class)
                .hasMessageStartingWith("cannot encode event 'Created': its schema (subject '" + subject + "') was refused: ")
                .hasMessageContaining("HTTP 409")
                .hasMessageContaining("nothing was registered");
        assertThatThrownBy(incompatible::registerAll)
                .isInstanceOf(CodecException.class)
                .hasMessageStartingWith("the schema registry refused 1 of 2 event schemas of TodoIncompatible: cannot encode event 'Created'");
        assertThat(client.versions(subject)).containsExactly(1);
    }

    @Test
    void anUpcasterReadsARenamedEventTypeAsItsNewType() {
        EncodedEvent stored = v1().encode(new TodoV1.Renamed("buy oat milk"));
        AvroEventCodec<TodoV2> codec = v2()
                .upcaster(new Upcaster("Renamed to TitleChanged", "Renamed", (old, newRecord) ->
                        new Upcaster.Upcasted("TitleChanged", newRecord.apply("TitleChanged").set("title", old.get("name")).build())))
                .build();

        assertThat(codec.decode(stored)).isEqualTo(new TodoV2.TitleChanged("buy oat milk"));
        assertThat(stored.eventType()).isEqualTo("Renamed");
    }

    @Test
    void anUpcasterSplitsAFieldOfOldEventsOnlyWhileNewEventsAreReadAsTheyAre() {
        EncodedEvent old = v1().encode(new TodoV1.NameChanged("Ada King Lovelace"));
        List<String> upcast = new ArrayList<>();
        AvroEventCodec<TodoV2> codec = v2()
                .upcaster(new Upcaster("split fullName", "NameChanged", writer -> writer.getField("fullName") != null, (record, newRecord) -> {
                    upcast.add(record.get("fullName").toString());
                    String[] parts = record.get("fullName").toString().split(" ", 2);
                    return new Upcaster.Upcasted("NameChanged", newRecord.apply("NameChanged")
                            .set("first", parts[0]).set("last", parts.length > 1 ? parts[1] : null).build());
                }))
                .build();
        EncodedEvent recent = codec.encode(new TodoV2.NameChanged(Optional.of("Grace"), Optional.empty()));

        assertThat(codec.decode(old)).isEqualTo(new TodoV2.NameChanged(Optional.of("Ada"), Optional.of("King Lovelace")));
        assertThat(codec.decode(recent)).isEqualTo(new TodoV2.NameChanged(Optional.of("Grace"), Optional.empty()));
        assertThat(upcast).containsExactly("Ada King Lovelace");
    }

    @Test
    void withoutAnUpcasterARetiredEventTypeIsUnknown() {
        EncodedEvent stored = v1().encode(new TodoV1.Renamed("buy oat milk"));

        assertThatThrownBy(() -> v2().build().decode(stored))
                .isInstanceOf(CodecException.class)
                .hasMessageStartingWith("cannot decode event 'Renamed': not an event type of TodoV2 and no upcaster applies to it");
    }

    @Test
    void aFailingOrMisdirectedUpcasterIsNamedInTheError() {
        EncodedEvent stored = v1().encode(new TodoV1.Renamed("buy oat milk"));
        AvroEventCodec<TodoV2> failing = v2().upcaster(new Upcaster("broken", "Renamed", (old, newRecord) -> {
            throw new IllegalStateException("cannot convert");
        })).build();
        AvroEventCodec<TodoV2> misdirected = v2().upcaster(new Upcaster("to nowhere", "Renamed", (old, newRecord) ->
                new Upcaster.Upcasted("Retitled", old))).build();
        AvroEventCodec<TodoV2> unknownBuilder = v2().upcaster(new Upcaster("unknown builder", "Renamed", (old, newRecord) ->
                new Upcaster.Upcasted("Retitled", newRecord.apply("Retitled").build()))).build();

        assertThatThrownBy(() -> failing.decode(stored))
                .isInstanceOf(CodecException.class)
                .hasMessage("cannot decode event 'Renamed' (schema id " + schemaIdOf(stored) + "): upcaster 'broken' failed: cannot convert");
        assertThatThrownBy(() -> misdirected.decode(stored))
                .isInstanceOf(CodecException.class)
                .hasMessageContaining("upcaster 'to nowhere' returned event type 'Retitled', which is not a current event type of TodoV2");
        assertThatThrownBy(() -> unknownBuilder.decode(stored))
                .isInstanceOf(CodecException.class)
                .hasMessageContaining("upcaster 'unknown builder' failed: 'Retitled' is not a current event type of TodoV2");
    }

    @Test
    void twoUpcastersWithOneNameAreRefused() {
        Upcaster.Conversion keep = (old, newRecord) -> new Upcaster.Upcasted("TitleChanged", old);

        assertThatThrownBy(() -> v2().upcaster(new Upcaster("same", "Renamed", keep)).upcaster(new Upcaster("same", "Other", keep)).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("two upcasters are named 'same'");
    }

    @Test
    void oneCodecServesManyThreadsAtOnce() throws Exception {
        AvroEventCodec<TodoV1> codec = v1();
        ExecutorService threads = Executors.newFixedThreadPool(4);
        try {
            List<Future<Integer>> results = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int thread = t;
                results.add(threads.submit(() -> {
                    int ok = 0;
                    for (int i = 0; i < 1_000; i++) {
                        TodoV1 event = i % 2 == 0 ? new TodoV1.Renamed("thread " + thread + " event " + i)
                                : new TodoV1.Created(UUID.randomUUID(), "event " + i, AT.plusMillis(i), CREATED.tags(), Priority.LOW);
                        if (codec.decode(codec.encode(event)).equals(event)) {
                            ok++;
                        }
                    }
                    return ok;
                }));
            }
            for (Future<Integer> result : results) {
                assertThat(result.get()).isEqualTo(1_000);
            }
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void aVirtualThreadEncodesAndDecodesToo() throws Exception {
        AvroEventCodec<TodoV1> codec = v1();
        Object[] decoded = new Object[1];

        Thread.ofVirtual().start(() -> decoded[0] = codec.decode(codec.encode(CREATED))).join();

        assertThat(decoded[0]).isEqualTo(CREATED);
    }
}
