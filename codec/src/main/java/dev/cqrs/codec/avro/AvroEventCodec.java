package dev.cqrs.codec.avro;

import dev.cqrs.codec.avro.AvroMapping.RecordMapping;
import dev.cqrs.codec.registry.SchemaRegistryClient;
import dev.cqrs.codec.registry.SchemaRegistryException;
import dev.cqrs.core.Event;
import dev.cqrs.core.codec.CodecException;
import dev.cqrs.core.codec.EncodedEvent;
import dev.cqrs.core.codec.EventCodec;
import dev.cqrs.core.codec.EventTypes;
import java.io.EOFException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.generic.GenericRecordBuilder;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Events of one aggregate in Avro, in the schema registry wire format: a magic byte {@code 0}, the
 * schema id as a 4-byte big-endian int, then the Avro binary encoding of the event record. Payloads
 * are labelled {@value #CONTENT_TYPE}; the relay copies that into a Kafka header.
 *
 * <p><b>Schemas</b> are derived from the event records (see the module README for the type
 * mapping): each record and enum is named {@code namespace.SimpleName}, so the Avro full name does
 * not depend on the Java package. <b>Subjects</b> follow Confluent's {@code RecordNameStrategy}: an
 * event type's subject is its record's Avro full name, e.g. {@code todo.Created}, whatever the
 * Kafka topic.
 *
 * <p><b>Encoding</b> registers the event type's schema on its first use (then remembers the id), so a
 * schema the registry refuses as incompatible fails {@link #encode} with a {@link CodecException}
 * carrying the registry's reason, before anything is stored. {@link #registerAll()} does it for
 * every type at start-up.
 *
 * <p><b>Decoding</b> reads the schema id, fetches that writer schema from the registry (cached), and
 * reads the body into the current record's schema by Avro's schema resolution: a field added with a
 * default ({@code Optional} components get {@code null}) decodes from old events, and a field
 * removed is skipped. What resolution cannot do is left to named {@link Upcaster}s.
 *
 * <p>Errors: a payload that is not ours (wrong content type, unknown event type, too short, wrong
 * magic byte, unknown schema id, a truncated or corrupt body, values the record refuses) and a schema
 * the registry refuses throw {@link CodecException}s that name the event type, the schema id and the
 * reason: a poison event. An unavailable registry throws a {@link SchemaRegistryException} whose
 * {@link SchemaRegistryException#isRetriable()} is true: not the payload's fault, try again later.
 *
 * <p>Thread-safe. On the hot path nothing is derived or looked up remotely: encoding writes the
 * Java record straight to a reused buffer, decoding reuses one datum reader per (schema id, event
 * type).
 *
 * @param <E> the aggregate's sealed event interface
 */
public final class AvroEventCodec<E extends Event> implements EventCodec<E> {

    /** The content type of every payload this codec writes, and the only one it reads. */
    public static final String CONTENT_TYPE = "application/vnd.cqrs.avro";

    private static final Logger log = LoggerFactory.getLogger(AvroEventCodec.class);

    static final byte MAGIC_BYTE = 0;
    /** Magic byte and schema id. */
    static final int HEADER_LENGTH = 5;

    private static final EncoderFactory ENCODERS = EncoderFactory.get();
    private static final DecoderFactory DECODERS = DecoderFactory.get();
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private final Class<E> root;
    private final SchemaRegistryClient registry;
    /** Our own instance, so that conversions someone adds to {@code GenericData.get()} do not change our reads. */
    private final GenericData data = new GenericData();
    private final Map<Class<?>, EventWriter> writersByClass;
    private final Map<String, EventWriter> writersByType;
    private final Map<String, StoredType> storedTypes;
    private final Function<String, GenericRecordBuilder> newRecord;

    private AvroEventCodec(Class<E> root, String namespace, SchemaRegistryClient registry, List<Upcaster> upcasters) {
        this.root = root;
        this.registry = registry;
        SchemaDerivation derivation = new SchemaDerivation(namespace);
        Map<Class<?>, EventWriter> byClass = new HashMap<>();
        Map<String, EventWriter> byType = new LinkedHashMap<>();
        EventTypes.of(root).all().forEach((type, eventClass) -> {
            EventWriter writer = new EventWriter(type, derivation.record(eventClass));
            byClass.put(eventClass, writer);
            byType.put(type, writer);
        });
        this.writersByClass = Map.copyOf(byClass);
        this.writersByType = Collections.unmodifiableMap(byType);

        Map<String, List<Upcaster>> upcastersByType = new HashMap<>();
        Set<String> names = new HashSet<>();
        for (Upcaster upcaster : upcasters) {
            if (!names.add(upcaster.name())) {
                throw new IllegalArgumentException("two upcasters are named '" + upcaster.name() + "'");
            }
            upcastersByType.computeIfAbsent(upcaster.eventType(), type -> new ArrayList<>()).add(upcaster);
        }
        Map<String, StoredType> stored = new HashMap<>();
        byType.forEach((type, writer) -> stored.put(type, new StoredType(type, writer, upcastersByType.getOrDefault(type, List.of()))));
        upcastersByType.forEach((type, list) -> stored.putIfAbsent(type, new StoredType(type, null, list)));
        this.storedTypes = Map.copyOf(stored);
        this.newRecord = type -> {
            EventWriter writer = writersByType.get(type);
            if (writer == null) {
                throw new IllegalArgumentException("'" + type + "' is not a current event type of " + root.getSimpleName()
                        + " (current: " + String.join(", ", writersByType.keySet()) + ")");
            }
            return new GenericRecordBuilder(writer.mapping.schema());
        };
    }

    /**
     * A builder for a codec of every event record permitted by {@code root}.
     *
     * @param namespace the Avro namespace of every record and enum, e.g. {@code "todo"}; part of each
     *                  subject, so changing it starts new subjects
     */
    public static <E extends Event> Builder<E> builder(Class<E> root, String namespace, SchemaRegistryClient registry) {
        return new Builder<>(root, namespace, registry);
    }

    /** Optional settings of an {@link AvroEventCodec}. */
    public static final class Builder<E extends Event> {

        private final Class<E> root;
        private final String namespace;
        private final SchemaRegistryClient registry;
        private final List<Upcaster> upcasters = new ArrayList<>();

        private Builder(Class<E> root, String namespace, SchemaRegistryClient registry) {
            this.root = Objects.requireNonNull(root, "root");
            this.namespace = Objects.requireNonNull(namespace, "namespace");
            this.registry = Objects.requireNonNull(registry, "registry");
        }

        /** Adds an upcaster; for one stored event type, the first added that applies wins. */
        public Builder<E> upcaster(Upcaster upcaster) {
            upcasters.add(Objects.requireNonNull(upcaster, "upcaster"));
            return this;
        }

        /**
         * Derives every event type's schema (no registry call yet).
         *
         * @throws IllegalArgumentException when {@code root} is not sealed, an event is not a record, a
         *                                  component's type has no Avro mapping (the message names it),
         *                                  two classes would share an Avro name, or two upcasters a name
         */
        public AvroEventCodec<E> build() {
            return new AvroEventCodec<>(root, namespace, registry, List.copyOf(upcasters));
        }
    }

    /** The derived Avro schema of an event type; its full name is also its subject. */
    public Schema schemaOf(Class<? extends E> eventClass) {
        EventWriter writer = writersByClass.get(eventClass);
        if (writer == null) {
            throw new IllegalArgumentException(eventClass.getName() + " is not an event of " + root.getSimpleName());
        }
        return writer.mapping.schema();
    }

    /**
     * Registers every event type's schema now, to fail fast at start-up rather than on the first
     * command of a type.
     *
     * @return the schema id of each event type, in discovery order
     * @throws CodecException          listing every type whose schema the registry refused, with its reasons
     * @throws SchemaRegistryException when the registry is unavailable
     */
    public Map<String, Integer> registerAll() {
        Map<String, Integer> ids = new LinkedHashMap<>();
        List<String> refusals = new ArrayList<>();
        for (EventWriter writer : writersByType.values()) {
            try {
                ids.put(writer.eventType, schemaIdOf(writer));
            } catch (CodecException e) {
                refusals.add(e.getMessage());
            }
        }
        if (!refusals.isEmpty()) {
            throw new CodecException("the schema registry refused " + refusals.size() + " of " + writersByType.size()
                    + " event schemas of " + root.getSimpleName() + ": " + String.join("; ", refusals));
        }
        return Collections.unmodifiableMap(ids);
    }

    /**
     * @throws CodecException          when the event is not of this codec, a component is null, or the
     *                                 registry refuses the type's schema (e.g. as incompatible)
     * @throws SchemaRegistryException when the registry is unavailable on a type's first use
     */
    @Override
    public EncodedEvent encode(E event) {
        EventWriter writer = writersByClass.get(event.getClass());
        if (writer == null) {
            throw new CodecException("cannot encode " + event.getClass().getName() + ": not an event of " + root.getSimpleName());
        }
        int schemaId = schemaIdOf(writer);
        Scratch scratch = scratch();
        ByteSink out = scratch.out;
        out.reset();
        out.write(MAGIC_BYTE);
        out.writeInt(schemaId);
        BinaryEncoder encoder = ENCODERS.directBinaryEncoder(out, scratch.encoder);
        scratch.encoder = encoder;
        try {
            writer.mapping.write(event, encoder);
            encoder.flush();
        } catch (MappingException e) {
            throw new CodecException("cannot encode event '" + writer.eventType + "': " + e.getMessage(), e);
        } catch (IOException e) {
            throw new CodecException("cannot encode event '" + writer.eventType + "': " + e, e);
        }
        return new EncodedEvent(writer.eventType, CONTENT_TYPE, out.toByteArray());
    }

    /**
     * @throws CodecException          when the payload is not a readable event of this codec (see above)
     * @throws SchemaRegistryException when the registry is unavailable to fetch a writer schema
     */
    @Override
    public E decode(EncodedEvent encoded) {
        String type = encoded.eventType();
        if (!CONTENT_TYPE.equals(encoded.contentType())) {
            throw new CodecException("cannot decode event '" + type + "': content type '" + encoded.contentType()
                    + "' is not " + CONTENT_TYPE);
        }
        StoredType stored = storedTypes.get(type);
        if (stored == null) {
            throw new CodecException("cannot decode event '" + type + "': not an event type of " + root.getSimpleName()
                    + " and no upcaster applies to it (known: " + String.join(", ", new TreeSet<>(storedTypes.keySet())) + ")");
        }
        byte[] payload = encoded.payload();
        if (payload.length < HEADER_LENGTH) {
            throw new CodecException("cannot decode event '" + type + "': the payload has " + payload.length
                    + " bytes, fewer than the 5 of the wire format's header (magic byte, schema id)");
        }
        if (payload[0] != MAGIC_BYTE) {
            throw new CodecException(String.format("cannot decode event '%s': the payload starts with 0x%02x, not the"
                    + " magic byte 0x00 of the schema registry wire format", type, payload[0] & 0xff));
        }
        int schemaId = ((payload[1] & 0xff) << 24) | ((payload[2] & 0xff) << 16) | ((payload[3] & 0xff) << 8) | (payload[4] & 0xff);
        DecodePlan plan = stored.plans.get(schemaId);
        if (plan == null) {
            plan = planFor(stored, schemaId);
        }
        GenericRecord datum = readBody(type, schemaId, plan.reader(), payload);
        try {
            return root.cast(switch (plan) {
                case DecodePlan.Resolve resolve -> resolve.target().mapping.read(datum);
                case DecodePlan.Upcast upcast -> upcast(type, schemaId, upcast.upcaster(), datum);
            });
        } catch (MappingException e) {
            throw new CodecException("cannot decode event '" + type + "' (schema id " + schemaId + "): " + e.getMessage(), e);
        }
    }

    private Object upcast(String type, int schemaId, Upcaster upcaster, GenericRecord old) {
        Upcaster.Upcasted upcasted;
        try {
            upcasted = upcaster.conversion().convert(old, newRecord);
        } catch (RuntimeException e) {
            throw new CodecException("cannot decode event '" + type + "' (schema id " + schemaId + "): upcaster '"
                    + upcaster.name() + "' failed: " + e.getMessage(), e);
        }
        EventWriter target = upcasted == null ? null : writersByType.get(upcasted.eventType());
        if (target == null) {
            throw new CodecException("cannot decode event '" + type + "' (schema id " + schemaId + "): upcaster '"
                    + upcaster.name() + "' returned " + (upcasted == null ? "nothing" : "event type '" + upcasted.eventType()
                    + "', which is not a current event type of " + root.getSimpleName()));
        }
        log.debug("upcast event '{}' (schema id {}) to '{}' with upcaster '{}'", type, schemaId, target.eventType, upcaster.name());
        try {
            return target.mapping.read(upcasted.record());
        } catch (MappingException e) {
            throw new CodecException("cannot decode event '" + type + "' (schema id " + schemaId + "): upcaster '"
                    + upcaster.name() + "' returned a record that does not fit " + target.eventType + ": " + e.getMessage(), e);
        }
    }

    private GenericRecord readBody(String type, int schemaId, GenericDatumReader<GenericRecord> reader, byte[] payload) {
        Scratch scratch = scratch();
        BinaryDecoder decoder = DECODERS.binaryDecoder(payload, HEADER_LENGTH, payload.length - HEADER_LENGTH, scratch.decoder);
        scratch.decoder = decoder;
        GenericRecord datum;
        boolean atEnd;
        try {
            datum = reader.read(null, decoder);
            atEnd = decoder.isEnd();
        } catch (EOFException e) {
            throw new CodecException("cannot decode event '" + type + "' (schema id " + schemaId
                    + "): the Avro body is truncated (" + (payload.length - HEADER_LENGTH) + " bytes)", e);
        } catch (IOException | RuntimeException e) {
            throw new CodecException("cannot decode event '" + type + "' (schema id " + schemaId
                    + "): the Avro body is malformed: " + e, e);
        }
        if (!atEnd) {
            throw new CodecException("cannot decode event '" + type + "' (schema id " + schemaId + "): bytes are left"
                    + " after the record: the body is corrupt or was not written with this schema");
        }
        return datum;
    }

    private DecodePlan planFor(StoredType stored, int schemaId) {
        String type = stored.eventType;
        Schema writerSchema;
        try {
            writerSchema = registry.schemaById(schemaId);
        } catch (SchemaRegistryException e) {
            if (e.isRetriable()) {
                throw e;
            }
            throw new CodecException("cannot decode event '" + type + "': its writer schema (id " + schemaId
                    + ") could not be fetched: " + e.getMessage(), e);
        }
        DecodePlan plan = null;
        for (Upcaster upcaster : stored.upcasters) {
            if (upcaster.writtenWith().test(writerSchema)) {
                plan = new DecodePlan.Upcast(reader(writerSchema, writerSchema), upcaster);
                break;
            }
        }
        if (plan == null) {
            EventWriter target = stored.current;
            if (target == null) {
                throw new CodecException("cannot decode event '" + type + "' (schema id " + schemaId + "): it is no longer"
                        + " an event type of " + root.getSimpleName() + ", and none of its upcasters ("
                        + stored.upcasters.stream().map(Upcaster::name).collect(Collectors.joining(", "))
                        + ") applies to its writer schema " + writerSchema.getFullName());
            }
            Schema readerSchema = target.mapping.schema();
            SchemaCompatibility.SchemaPairCompatibility compatibility =
                    SchemaCompatibility.checkReaderWriterCompatibility(readerSchema, writerSchema);
            if (compatibility.getType() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
                String reasons = compatibility.getResult().getIncompatibilities().stream()
                        .map(i -> i.getMessage() + " at " + i.getLocation())
                        .collect(Collectors.joining("; "));
                throw new CodecException("cannot decode event '" + type + "' (schema id " + schemaId + ", "
                        + writerSchema.getFullName() + "): the current record " + readerSchema.getFullName()
                        + " cannot read it by Avro schema resolution (" + reasons + "); add an upcaster for '" + type
                        + "' that applies to this writer schema");
            }
            plan = new DecodePlan.Resolve(reader(writerSchema, readerSchema), target);
        }
        DecodePlan raced = stored.plans.putIfAbsent(schemaId, plan);
        return raced != null ? raced : plan;
    }

    private GenericDatumReader<GenericRecord> reader(Schema writer, Schema reader) {
        return new GenericDatumReader<>(writer, reader, data) {
            /** Strings as {@code String}, not {@code Utf8}: the records hold Strings anyway. */
            @Override
            protected Class<?> findStringClass(Schema schema) {
                return String.class;
            }
        };
    }

    /** The type's schema id, registering its schema on first use. */
    private int schemaIdOf(EventWriter writer) {
        Integer id = writer.schemaId;
        if (id != null) {
            return id;
        }
        // One registration per type even when many threads start at once (a lock, not a monitor: virtual threads).
        writer.registering.lock();
        try {
            id = writer.schemaId;
            if (id != null) {
                return id;
            }
            String subject = writer.subject();
            int registered;
            try {
                registered = registry.register(subject, writer.mapping.schema());
            } catch (SchemaRegistryException e) {
                if (e.isRetriable()) {
                    throw e;
                }
                throw new CodecException("cannot encode event '" + writer.eventType + "': its schema (subject '" + subject
                        + "') was refused: " + e.getMessage(), e);
            }
            writer.schemaId = registered;
            log.info("Avro schema of event '{}' has id {} (subject '{}')", writer.eventType, registered, subject);
            return registered;
        } finally {
            writer.registering.unlock();
        }
    }

    private static Scratch scratch() {
        // A virtual thread is short-lived and numerous: a per-thread buffer would not be reused.
        return Thread.currentThread().isVirtual() ? new Scratch() : SCRATCH.get();
    }

    /** A thread's reusable output buffer, encoder and decoder. */
    private static final class Scratch {
        final ByteSink out = new ByteSink();
        BinaryEncoder encoder;
        BinaryDecoder decoder;
    }

    /** An event type as written today. */
    private static final class EventWriter {
        final String eventType;
        final RecordMapping mapping;
        /** Null until registered; then the id never changes. */
        volatile Integer schemaId;
        final ReentrantLock registering = new ReentrantLock();

        EventWriter(String eventType, RecordMapping mapping) {
            this.eventType = eventType;
            this.mapping = mapping;
        }

        /** RecordNameStrategy: the record's Avro full name. */
        String subject() {
            return mapping.schema().getFullName();
        }
    }

    /** An event type name as found in stores: a current type, or one only upcasters know. */
    private static final class StoredType {
        final String eventType;
        final EventWriter current;
        final List<Upcaster> upcasters;
        final Map<Integer, DecodePlan> plans = new ConcurrentHashMap<>();

        StoredType(String eventType, EventWriter current, List<Upcaster> upcasters) {
            this.eventType = eventType;
            this.current = current;
            this.upcasters = List.copyOf(upcasters);
        }
    }

    /** How to read the events of one stored type written with one schema id. */
    private sealed interface DecodePlan {

        GenericDatumReader<GenericRecord> reader();

        /** Resolution from the writer schema into the current record's schema. */
        record Resolve(GenericDatumReader<GenericRecord> reader, EventWriter target) implements DecodePlan {
        }

        /** Read in the writer schema, then convert. */
        record Upcast(GenericDatumReader<GenericRecord> reader, Upcaster upcaster) implements DecodePlan {
        }
    }
}
