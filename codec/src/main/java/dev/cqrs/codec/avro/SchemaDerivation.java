package dev.cqrs.codec.avro;

import dev.cqrs.codec.avro.AvroMapping.EnumMapping;
import dev.cqrs.codec.avro.AvroMapping.ListMapping;
import dev.cqrs.codec.avro.AvroMapping.OptionalMapping;
import dev.cqrs.codec.avro.AvroMapping.RecordMapping;
import dev.cqrs.codec.avro.AvroMapping.Scalar;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.lang.reflect.WildcardType;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;

/**
 * Derives Avro schemas, and the mappings that write and read them, from Java records. Our own small
 * mapper rather than Avro's reflect (which handles neither records nor {@code Optional} well):
 *
 * <table>
 * <caption>Java type to Avro type</caption>
 * <tr><td>String</td><td>string</td></tr>
 * <tr><td>int / Integer, long / Long, boolean / Boolean, double / Double, float / Float</td>
 *     <td>int, long, boolean, double, float</td></tr>
 * <tr><td>byte[]</td><td>bytes</td></tr>
 * <tr><td>java.time.Instant</td><td>long, logicalType timestamp-millis</td></tr>
 * <tr><td>java.util.UUID</td><td>string, logicalType uuid</td></tr>
 * <tr><td>Optional&lt;T&gt;</td><td>["null", T], field default null</td></tr>
 * <tr><td>List&lt;T&gt;</td><td>array of T</td></tr>
 * <tr><td>an enum</td><td>enum, symbols = the constants' names</td></tr>
 * <tr><td>a record</td><td>record, one field per component, in order</td></tr>
 * </table>
 *
 * <p>Records and enums are named {@code namespace.SimpleName}, so the Avro full name does not
 * depend on the Java package; within one derivation each simple name must belong to one class.
 * Not thread-safe: a codec derives everything once while it is built.
 */
final class SchemaDerivation {

    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private final String namespace;
    private final Map<Class<?>, AvroMapping> named = new HashMap<>();
    private final Map<String, Class<?>> classesByFullName = new HashMap<>();

    /** @param namespace the Avro namespace of every record and enum, e.g. {@code todo}; empty for none */
    SchemaDerivation(String namespace) {
        if (!namespace.isEmpty() && !Arrays.stream(namespace.split("\\.", -1)).allMatch(part -> NAME.matcher(part).matches())) {
            throw new IllegalArgumentException("'" + namespace + "' is not an Avro namespace (dotted names of letters, digits and _)");
        }
        this.namespace = namespace;
    }

    /**
     * The mapping of a record class, and of every type it uses.
     *
     * @throws IllegalArgumentException naming the class and component when a type has no mapping
     */
    RecordMapping record(Class<?> type) {
        if (!type.isRecord()) {
            throw new IllegalArgumentException(type.getName() + " is not a record: the Avro codec maps records only");
        }
        return (RecordMapping) of(type, type.getName());
    }

    private AvroMapping of(Type type, String where) {
        if (type instanceof Class<?> c) {
            return ofClass(c, where);
        }
        if (type instanceof ParameterizedType p && p.getRawType() instanceof Class<?> raw) {
            Type argument = p.getActualTypeArguments()[0];
            if (argument instanceof WildcardType wildcard && wildcard.getLowerBounds().length == 0) {
                argument = wildcard.getUpperBounds()[0];
            }
            if (raw == Optional.class) {
                AvroMapping present = of(argument, where + "'s Optional");
                if (present instanceof OptionalMapping) {
                    throw new IllegalArgumentException(where + " is an Optional of an Optional, which Avro cannot express");
                }
                return new OptionalMapping(present);
            }
            if (raw == List.class) {
                return new ListMapping(of(argument, where + "'s List element"));
            }
        }
        throw unsupported(type, where);
    }

    private AvroMapping ofClass(Class<?> c, String where) {
        if (c == String.class) {
            return Scalar.STRING;
        } else if (c == int.class || c == Integer.class) {
            return Scalar.INT;
        } else if (c == long.class || c == Long.class) {
            return Scalar.LONG;
        } else if (c == boolean.class || c == Boolean.class) {
            return Scalar.BOOLEAN;
        } else if (c == double.class || c == Double.class) {
            return Scalar.DOUBLE;
        } else if (c == float.class || c == Float.class) {
            return Scalar.FLOAT;
        } else if (c == byte[].class) {
            return Scalar.BYTES;
        } else if (c == Instant.class) {
            return Scalar.INSTANT;
        } else if (c == UUID.class) {
            return Scalar.UUID;
        } else if (c == Optional.class || c == List.class) {
            throw new IllegalArgumentException(where + " is a raw " + c.getSimpleName() + ": give it a type argument");
        }
        AvroMapping known = named.get(c);
        if (known != null) {
            return known;
        }
        if (c.isEnum()) {
            return enumMapping(c);
        }
        if (c.isRecord()) {
            return recordMapping(c);
        }
        throw unsupported(c, where);
    }

    private EnumMapping enumMapping(Class<?> type) {
        Map<String, Enum<?>> bySymbol = new LinkedHashMap<>();
        for (Object constant : type.getEnumConstants()) {
            bySymbol.put(((Enum<?>) constant).name(), (Enum<?>) constant);
        }
        Schema schema;
        try {
            schema = Schema.createEnum(type.getSimpleName(), null, namespaceOrNull(), List.copyOf(bySymbol.keySet()));
        } catch (AvroRuntimeException e) {
            throw new IllegalArgumentException("enum " + type.getName() + " has no Avro schema: " + e.getMessage(), e);
        }
        claim(schema.getFullName(), type);
        EnumMapping mapping = new EnumMapping(type, schema, Map.copyOf(bySymbol));
        named.put(type, mapping);
        return mapping;
    }

    private RecordMapping recordMapping(Class<?> type) {
        if (type.getTypeParameters().length > 0) {
            throw new IllegalArgumentException("record " + type.getName() + " is generic: the Avro codec maps plain records only");
        }
        RecordComponent[] components = type.getRecordComponents();
        MethodHandle constructor;
        try {
            Constructor<?> canonical = type.getDeclaredConstructor(
                    Arrays.stream(components).map(RecordComponent::getType).toArray(Class<?>[]::new));
            canonical.trySetAccessible();
            constructor = MethodHandles.lookup().unreflectConstructor(canonical)
                    .asSpreader(Object[].class, components.length)
                    .asType(MethodType.methodType(Object.class, Object[].class));
        } catch (NoSuchMethodException | IllegalAccessException e) {
            throw new IllegalArgumentException("cannot use the canonical constructor of record " + type.getName()
                    + ": make it public or open its package (" + e.getMessage() + ")", e);
        }
        Schema schema;
        try {
            schema = Schema.createRecord(type.getSimpleName(), null, namespaceOrNull(), false);
        } catch (AvroRuntimeException e) {
            throw new IllegalArgumentException("record " + type.getName() + " has no Avro schema: " + e.getMessage(), e);
        }
        claim(schema.getFullName(), type);
        RecordMapping mapping = new RecordMapping(type, schema, constructor);
        named.put(type, mapping); // before its components: a record may refer to itself
        List<RecordMapping.Component> fields = new ArrayList<>();
        for (RecordComponent component : components) {
            String where = "component '" + component.getName() + "' of " + type.getName();
            AvroMapping fieldMapping = of(component.getGenericType(), where);
            Object defaultValue = fieldMapping instanceof OptionalMapping ? Schema.Field.NULL_DEFAULT_VALUE : null;
            Schema.Field field;
            try {
                field = new Schema.Field(component.getName(), fieldMapping.schema(), null, defaultValue);
            } catch (AvroRuntimeException e) {
                throw new IllegalArgumentException(where + " has no Avro field: " + e.getMessage(), e);
            }
            fields.add(new RecordMapping.Component(field, accessor(component, type), fieldMapping));
        }
        mapping.define(fields);
        return mapping;
    }

    private static MethodHandle accessor(RecordComponent component, Class<?> type) {
        Method method = component.getAccessor();
        method.trySetAccessible();
        try {
            return MethodHandles.lookup().unreflect(method).asType(MethodType.methodType(Object.class, Object.class));
        } catch (IllegalAccessException e) {
            throw new IllegalArgumentException("cannot read component '" + component.getName() + "' of record "
                    + type.getName() + ": make it public or open its package (" + e.getMessage() + ")", e);
        }
    }

    private void claim(String fullName, Class<?> type) {
        Class<?> other = classesByFullName.putIfAbsent(fullName, type);
        if (other != null && other != type) {
            throw new IllegalArgumentException(other.getName() + " and " + type.getName() + " would both be the Avro type '"
                    + fullName + "': rename one of them");
        }
    }

    private String namespaceOrNull() {
        return namespace.isEmpty() ? null : namespace;
    }

    private static IllegalArgumentException unsupported(Type type, String where) {
        return new IllegalArgumentException(where + " has type " + type.getTypeName() + ", which has no Avro mapping"
                + " (supported: String, int, long, boolean, double, float, byte[], Instant, UUID, enums, records,"
                + " and Optional or List of these)");
    }
}
