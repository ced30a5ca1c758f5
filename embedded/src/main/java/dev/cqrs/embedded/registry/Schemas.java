package dev.cqrs.embedded.registry;

import org.apache.avro.Schema;

/** Parsing of schema text, with Confluent's answer to text that is not an Avro schema. */
final class Schemas {

    private Schemas() {
    }

    /**
     * The parsed schema (names and defaults validated, as Avro does by default).
     *
     * @throws RegistryError 42201 when the text is not a valid Avro schema
     */
    static Schema parse(String text) {
        try {
            return new Schema.Parser().parse(text);
        } catch (RuntimeException e) {
            throw RegistryError.invalidSchema(e.getMessage() == null ? e.toString() : e.getMessage());
        }
    }
}
