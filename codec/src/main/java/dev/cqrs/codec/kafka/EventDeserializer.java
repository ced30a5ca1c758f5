package dev.cqrs.codec.kafka;

import dev.cqrs.codec.avro.AvroEventCodec;
import dev.cqrs.codec.json.JsonEventCodec;
import dev.cqrs.codec.registry.SchemaRegistryClient;
import dev.cqrs.core.Event;
import dev.cqrs.core.codec.CodecException;
import dev.cqrs.core.codec.EncodedEvent;
import dev.cqrs.core.codec.EventCodec;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads an event topic's values as {@link PublishedEvent}s with the event decoded into the
 * aggregate's records: Avro in Confluent's wire format through the schema registry (the writer's
 * schema by the id in the payload, resolved to today's records), or JSON, as the record's
 * {@code cqrs-content-type} header says.
 *
 * <p>By configuration, for a plain {@code KafkaConsumer} or Spring Kafka:
 * <pre>{@code
 * value.deserializer = dev.cqrs.codec.kafka.EventDeserializer
 * cqrs.events.class = com.example.todo.TodoEvent      # the aggregate's sealed event interface
 * schema.registry.url = http://localhost:8081         # for Avro payloads
 * isolation.level = read_committed                    # see the README: events are published in transactions
 * }</pre>
 * or in code: {@code new EventDeserializer<>(TodoEvent.class, "todo", registryClient)}.
 *
 * <p>The Avro namespace of the records is {@code cqrs.events.namespace}, by default each record's
 * aggregate type (the convention of {@code AvroEventCodec.builder(events, aggregateType, ...)}).
 * A payload that cannot be decoded (unknown type, a writer schema today's record cannot read, a
 * corrupt body) throws a {@link CodecException} that names the topic, event type and reason; an
 * unreachable registry throws a retriable {@code SchemaRegistryException}.
 *
 * @param <E> the aggregate's sealed event interface
 */
public final class EventDeserializer<E extends Event> implements Deserializer<PublishedEvent<E>> {

    /** The aggregate's sealed event interface, a class name. */
    public static final String EVENTS_CLASS_CONFIG = "cqrs.events.class";
    /** The Avro namespace of the event records; by default the record's aggregate type. */
    public static final String NAMESPACE_CONFIG = "cqrs.events.namespace";
    /** The schema registry's URL: Confluent's key, so that one setting serves both kinds of client. */
    public static final String SCHEMA_REGISTRY_URL_CONFIG = "schema.registry.url";

    private Class<E> events;
    private Optional<String> namespace = Optional.empty();
    private SchemaRegistryClient registry; // null until configured, and when no registry is given
    private boolean ownsRegistry;
    private final Map<String, EventCodec<E>> avroByNamespace = new ConcurrentHashMap<>();
    private EventCodec<E> json;

    /** For configuration by class name; {@link #configure} must follow. */
    public EventDeserializer() {
    }

    /**
     * A deserializer of {@code events}, reading Avro with {@code namespace} through {@code registry}
     * (which the caller keeps and closes), and JSON.
     */
    public EventDeserializer(Class<E> events, String namespace, SchemaRegistryClient registry) {
        this.events = Objects.requireNonNull(events, "events");
        this.namespace = Optional.of(namespace);
        this.registry = Objects.requireNonNull(registry, "registry");
        this.json = JsonEventCodec.of(events);
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        if (isKey) {
            throw new ConfigException("EventDeserializer reads an event topic's values; its keys are the aggregate"
                    + " ids, plain UTF-8 strings (key.deserializer = org.apache.kafka.common.serialization.StringDeserializer)");
        }
        if (events != null) {
            return; // made in code
        }
        Object name = configs.get(EVENTS_CLASS_CONFIG);
        if (name == null || name.toString().isBlank()) {
            throw new ConfigException(EVENTS_CLASS_CONFIG + " must name the aggregate's sealed event interface, e.g."
                    + " com.example.todo.TodoEvent (or use RawEventDeserializer for the payload bytes)");
        }
        events = eventsClass(name.toString().strip());
        json = JsonEventCodec.of(events);
        Object ns = configs.get(NAMESPACE_CONFIG);
        namespace = ns == null || ns.toString().isBlank() ? Optional.empty() : Optional.of(ns.toString().strip());
        Object url = configs.get(SCHEMA_REGISTRY_URL_CONFIG);
        if (url != null && !url.toString().isBlank()) {
            registry = SchemaRegistryClient.builder(url.toString().strip()).build();
            ownsRegistry = true;
        }
    }

    @Override
    public PublishedEvent<E> deserialize(String topic, byte[] data) {
        return deserialize(topic, null, data);
    }

    @Override
    public PublishedEvent<E> deserialize(String topic, Headers headers, byte[] data) {
        if (events == null) {
            throw new IllegalStateException("EventDeserializer was not configured: set " + EVENTS_CLASS_CONFIG);
        }
        PublishedEvent<byte[]> raw = PublishedEvent.fromHeaders(headers, data, topic);
        EncodedEvent encoded = new EncodedEvent(raw.eventType(), raw.contentType(), raw.event());
        try {
            return raw.withEvent(codecFor(raw).decode(encoded));
        } catch (CodecException e) {
            throw new CodecException("cannot decode " + raw + " of topic " + topic + " as " + events.getName()
                    + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        if (ownsRegistry && registry != null) {
            registry.close();
        }
    }

    private EventCodec<E> codecFor(PublishedEvent<byte[]> raw) {
        return switch (raw.contentType()) {
            case AvroEventCodec.CONTENT_TYPE -> {
                if (registry == null) {
                    throw new CodecException(raw.eventType() + " is Avro, which needs the schema registry: set "
                            + SCHEMA_REGISTRY_URL_CONFIG);
                }
                String ns = namespace.orElse(raw.aggregateType());
                yield avroByNamespace.computeIfAbsent(ns, n -> AvroEventCodec.builder(events, n, registry).build());
            }
            case JsonEventCodec.CONTENT_TYPE -> json;
            default -> throw new CodecException(raw.eventType() + " has content type " + raw.contentType()
                    + ", which is neither " + AvroEventCodec.CONTENT_TYPE + " nor " + JsonEventCodec.CONTENT_TYPE);
        };
    }

    @SuppressWarnings("unchecked")
    private static <E extends Event> Class<E> eventsClass(String name) {
        Class<?> type;
        try {
            ClassLoader loader = Optional.ofNullable(Thread.currentThread().getContextClassLoader())
                    .orElse(EventDeserializer.class.getClassLoader());
            type = Class.forName(name, true, loader);
        } catch (ClassNotFoundException e) {
            throw new ConfigException(EVENTS_CLASS_CONFIG, name, "no such class on the class path");
        }
        if (!Event.class.isAssignableFrom(type) || !type.isSealed()) {
            throw new ConfigException(EVENTS_CLASS_CONFIG, name, "must be a sealed interface that extends "
                    + Event.class.getName());
        }
        return (Class<E>) type;
    }
}
