package dev.cqrs.codec.avro;

import java.util.Optional;

/** A nested record used by every version of the test events. */
public record Tag(String label, Optional<String> color) {
}
