package dev.cqrs.codec.avro;

import dev.cqrs.embedded.registry.LocalSchemaRegistry;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

/** The real registry the Avro tests talk to, and names that keep tests apart in it. */
final class TestRegistry {

    private static final AtomicInteger COUNTER = new AtomicInteger();

    private TestRegistry() {
    }

    /** The registry shared by this JVM (started on first use), speaking the Confluent REST API. */
    static String url() {
        return LocalSchemaRegistry.sharedUrl();
    }

    /** An Avro namespace no other test uses, so that its subjects are new. */
    static String uniqueNamespace() {
        return "test" + COUNTER.incrementAndGet() + "_" + UUID.randomUUID().toString().substring(0, 8);
    }
}
