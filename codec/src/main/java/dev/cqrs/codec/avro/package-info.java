/**
 * The Avro codec: event records as Avro in the schema registry wire format, with schemas derived
 * from the records, registered under {@code RecordNameStrategy} subjects, read by Avro's schema
 * resolution and, where that cannot do, by named {@link dev.cqrs.codec.avro.Upcaster}s.
 */
package dev.cqrs.codec.avro;
