package dev.cqrs.codec.avro;

import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericEnumSymbol;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.Encoder;

/**
 * How one Java type maps to Avro: its schema, how a Java value is written straight to an encoder
 * (no intermediate generic record on the hot path), and how a datum read by a generic datum reader
 * (in the reader schema, or built by an upcaster) becomes the Java value again. Built by
 * {@link SchemaDerivation}; immutable once built, so thread-safe.
 */
sealed interface AvroMapping {

    Schema schema();

    /** Writes {@code value}, never null, in the binary encoding of {@link #schema()}. */
    void write(Object value, Encoder out) throws IOException;

    /** The Java value of a datum; null only reaches {@link OptionalMapping}. */
    Object read(Object datum);

    /** Java types with a fixed Avro type. */
    enum Scalar implements AvroMapping {
        STRING(Schema.create(Schema.Type.STRING)) {
            @Override
            public void write(Object value, Encoder out) throws IOException {
                out.writeString((String) value);
            }

            @Override
            public Object read(Object datum) {
                if (datum instanceof CharSequence text) {
                    return text.toString();
                }
                throw mismatch("a string", datum);
            }
        },
        INT(Schema.create(Schema.Type.INT)) {
            @Override
            public void write(Object value, Encoder out) throws IOException {
                out.writeInt((Integer) value);
            }

            @Override
            public Object read(Object datum) {
                if (datum instanceof Integer i) {
                    return i;
                }
                throw mismatch("an int", datum);
            }
        },
        LONG(Schema.create(Schema.Type.LONG)) {
            @Override
            public void write(Object value, Encoder out) throws IOException {
                out.writeLong((Long) value);
            }

            @Override
            public Object read(Object datum) {
                return switch (datum) {
                    case Long l -> l;
                    case Integer i -> i.longValue();
                    case null, default -> throw mismatch("a long", datum);
                };
            }
        },
        BOOLEAN(Schema.create(Schema.Type.BOOLEAN)) {
            @Override
            public void write(Object value, Encoder out) throws IOException {
                out.writeBoolean((Boolean) value);
            }

            @Override
            public Object read(Object datum) {
                if (datum instanceof Boolean b) {
                    return b;
                }
                throw mismatch("a boolean", datum);
            }
        },
        DOUBLE(Schema.create(Schema.Type.DOUBLE)) {
            @Override
            public void write(Object value, Encoder out) throws IOException {
                out.writeDouble((Double) value);
            }

            @Override
            public Object read(Object datum) {
                return switch (datum) {
                    case Double d -> d;
                    case Float f -> f.doubleValue();
                    case Integer i -> i.doubleValue();
                    case Long l -> l.doubleValue();
                    case null, default -> throw mismatch("a double", datum);
                };
            }
        },
        FLOAT(Schema.create(Schema.Type.FLOAT)) {
            @Override
            public void write(Object value, Encoder out) throws IOException {
                out.writeFloat((Float) value);
            }

            @Override
            public Object read(Object datum) {
                return switch (datum) {
                    case Float f -> f;
                    case Integer i -> i.floatValue();
                    case Long l -> l.floatValue();
                    case null, default -> throw mismatch("a float", datum);
                };
            }
        },
        BYTES(Schema.create(Schema.Type.BYTES)) {
            @Override
            public void write(Object value, Encoder out) throws IOException {
                out.writeBytes((byte[]) value);
            }

            @Override
            public Object read(Object datum) {
                return switch (datum) {
                    case ByteBuffer buffer -> {
                        byte[] bytes = new byte[buffer.remaining()];
                        buffer.duplicate().get(bytes);
                        yield bytes;
                    }
                    case byte[] bytes -> bytes.clone();
                    case null, default -> throw mismatch("bytes", datum);
                };
            }
        },
        /** Milliseconds since the epoch: finer parts of an instant are dropped. */
        INSTANT(LogicalTypes.timestampMillis().addToSchema(Schema.create(Schema.Type.LONG))) {
            @Override
            public void write(Object value, Encoder out) throws IOException {
                out.writeLong(((Instant) value).toEpochMilli());
            }

            @Override
            public Object read(Object datum) {
                return switch (datum) {
                    case Long millis -> Instant.ofEpochMilli(millis);
                    case Integer millis -> Instant.ofEpochMilli(millis);
                    case Instant instant -> instant;
                    case null, default -> throw mismatch("a timestamp-millis long", datum);
                };
            }
        },
        UUID(LogicalTypes.uuid().addToSchema(Schema.create(Schema.Type.STRING))) {
            @Override
            public void write(Object value, Encoder out) throws IOException {
                out.writeString(value.toString());
            }

            @Override
            public Object read(Object datum) {
                return switch (datum) {
                    case CharSequence text -> {
                        try {
                            yield java.util.UUID.fromString(text.toString());
                        } catch (IllegalArgumentException e) {
                            throw new MappingException("is not a UUID: '" + text + "'");
                        }
                    }
                    case java.util.UUID uuid -> uuid;
                    case null, default -> throw mismatch("a uuid string", datum);
                };
            }
        };

        private final Schema schema;

        Scalar(Schema schema) {
            this.schema = schema;
        }

        @Override
        public Schema schema() {
            return schema;
        }
    }

    /** {@code Optional<T>}: the union {@code ["null", T]}; the field gets the default {@code null}. */
    record OptionalMapping(AvroMapping present, Schema schema) implements AvroMapping {

        OptionalMapping(AvroMapping present) {
            this(present, Schema.createUnion(Schema.create(Schema.Type.NULL), present.schema()));
        }

        @Override
        public void write(Object value, Encoder out) throws IOException {
            Optional<?> optional = (Optional<?>) value;
            if (optional.isPresent()) {
                out.writeIndex(1);
                present.write(optional.get(), out);
            } else {
                out.writeIndex(0);
                out.writeNull();
            }
        }

        @Override
        public Object read(Object datum) {
            return datum == null ? Optional.empty() : Optional.of(present.read(datum));
        }
    }

    /** {@code List<T>}: an array; read back as an unmodifiable list. */
    record ListMapping(AvroMapping element, Schema schema) implements AvroMapping {

        ListMapping(AvroMapping element) {
            this(element, Schema.createArray(element.schema()));
        }

        @Override
        public void write(Object value, Encoder out) throws IOException {
            List<?> list = (List<?>) value;
            out.writeArrayStart();
            out.setItemCount(list.size());
            int index = 0;
            for (Object item : list) {
                if (item == null) {
                    throw new MappingException("[" + index + "]", "is null: lists may not hold nulls");
                }
                out.startItem();
                try {
                    element.write(item, out);
                } catch (MappingException e) {
                    throw e.within("[" + index + "]");
                }
                index++;
            }
            out.writeArrayEnd();
        }

        @Override
        public Object read(Object datum) {
            if (!(datum instanceof Collection<?> items)) {
                throw mismatch("an array", datum);
            }
            List<Object> list = new ArrayList<>(items.size());
            int index = 0;
            for (Object item : items) {
                if (item == null) {
                    throw new MappingException("[" + index + "]", "is null: lists may not hold nulls");
                }
                try {
                    list.add(element.read(item));
                } catch (MappingException e) {
                    throw e.within("[" + index + "]");
                }
                index++;
            }
            return Collections.unmodifiableList(list);
        }
    }

    /** A Java enum: an Avro enum whose symbols are the constants' names, in declaration order. */
    record EnumMapping(Class<?> type, Schema schema, Map<String, Enum<?>> bySymbol) implements AvroMapping {

        @Override
        public void write(Object value, Encoder out) throws IOException {
            out.writeEnum(((Enum<?>) value).ordinal());
        }

        @Override
        public Object read(Object datum) {
            if (!(datum instanceof GenericEnumSymbol<?> || datum instanceof CharSequence)) {
                throw mismatch("an enum symbol", datum);
            }
            Enum<?> constant = bySymbol.get(datum.toString());
            if (constant == null) {
                throw new MappingException("has the symbol '" + datum + "', which " + type.getSimpleName()
                        + " does not have (it has " + schema.getEnumSymbols() + ")");
            }
            return constant;
        }
    }

    /**
     * A Java record: an Avro record with one field per component, in declaration order. Built in two
     * steps ({@link #define}) so that a record can refer to itself through a list or an optional.
     */
    final class RecordMapping implements AvroMapping {

        /** One component: its Avro field, the accessor {@code (Object)Object} and its mapping. */
        record Component(Schema.Field field, MethodHandle accessor, AvroMapping mapping) {
        }

        private final Class<?> type;
        private final Schema schema;
        /** The canonical constructor as {@code (Object[])Object}. */
        private final MethodHandle constructor;
        private Component[] components;

        RecordMapping(Class<?> type, Schema schema, MethodHandle constructor) {
            this.type = type;
            this.schema = schema;
            this.constructor = constructor;
        }

        void define(List<Component> components) {
            this.components = components.toArray(Component[]::new);
            schema.setFields(components.stream().map(Component::field).toList());
        }

        Class<?> type() {
            return type;
        }

        @Override
        public Schema schema() {
            return schema;
        }

        @Override
        public void write(Object value, Encoder out) throws IOException {
            for (Component component : components) {
                Object field;
                try {
                    field = component.accessor().invokeExact(value);
                } catch (Throwable e) {
                    throw new MappingException(component.field().name(), "cannot be read: " + e);
                }
                if (field == null) {
                    throw new MappingException(component.field().name(), "of " + type.getSimpleName()
                            + " is null: declare it Optional if it may be absent");
                }
                try {
                    component.mapping().write(field, out);
                } catch (MappingException e) {
                    throw e.within(component.field().name());
                }
            }
        }

        /**
         * Reads a record in this mapping's schema by position; a record in any other schema (built
         * by an upcaster) by field name, a missing field taking its default.
         */
        @Override
        public Object read(Object datum) {
            if (!(datum instanceof GenericRecord record)) {
                throw mismatch("a record", datum);
            }
            boolean sameSchema = record.getSchema() == schema || record.getSchema().equals(schema);
            Object[] args = new Object[components.length];
            for (int i = 0; i < components.length; i++) {
                Component component = components[i];
                String name = component.field().name();
                Object value;
                if (sameSchema) {
                    value = record.get(i);
                } else {
                    Schema.Field field = record.getSchema().getField(name);
                    if (field != null) {
                        value = record.get(field.pos());
                    } else if (component.field().hasDefaultValue()) {
                        value = GenericData.get().getDefaultValue(component.field());
                    } else {
                        throw new MappingException(name, "of " + type.getSimpleName() + " is missing from record "
                                + record.getSchema().getFullName() + " and has no default");
                    }
                }
                if (value == null && !(component.mapping() instanceof OptionalMapping)) {
                    throw new MappingException(name, "of " + type.getSimpleName() + " is null");
                }
                try {
                    args[i] = component.mapping().read(value);
                } catch (MappingException e) {
                    throw e.within(name);
                }
            }
            try {
                return constructor.invokeExact(args);
            } catch (RuntimeException | Error e) {
                throw new MappingException("the constructor of " + type.getSimpleName() + " refused the values: " + e);
            } catch (Throwable e) {
                throw new MappingException("the constructor of " + type.getSimpleName() + " failed: " + e);
            }
        }

        @Override
        public String toString() {
            return "RecordMapping[" + schema.getFullName() + "]";
        }
    }

    private static MappingException mismatch(String expected, Object datum) {
        return new MappingException("should be " + expected + ", not "
                + (datum == null ? "null" : datum.getClass().getName() + " '" + datum + "'"));
    }
}
