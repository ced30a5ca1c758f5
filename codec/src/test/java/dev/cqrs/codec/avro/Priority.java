package dev.cqrs.codec.avro;

/** An enum used by every version of the test events. */
public enum Priority { LOW, HIGH }
