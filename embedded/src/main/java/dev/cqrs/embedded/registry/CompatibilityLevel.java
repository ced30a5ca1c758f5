package dev.cqrs.embedded.registry;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.Incompatibility;
import org.apache.avro.SchemaCompatibility.SchemaPairCompatibility;

/**
 * Confluent's compatibility levels, decided by Avro's {@link SchemaCompatibility}.
 *
 * <ul>
 *   <li>BACKWARD: consumers on the new schema read data written with the old one
 *       (reader = new, writer = old);</li>
 *   <li>FORWARD: consumers on the old schema read data written with the new one
 *       (reader = old, writer = new);</li>
 *   <li>FULL: both; NONE: no check;</li>
 *   <li>the {@code _TRANSITIVE} forms check against every earlier version, the others against
 *       the latest only.</li>
 * </ul>
 */
enum CompatibilityLevel {
    NONE(false, false, false),
    BACKWARD(true, false, false),
    BACKWARD_TRANSITIVE(true, false, true),
    FORWARD(false, true, false),
    FORWARD_TRANSITIVE(false, true, true),
    FULL(true, true, false),
    FULL_TRANSITIVE(true, true, true);

    private final boolean backward;
    private final boolean forward;
    private final boolean transitive;

    CompatibilityLevel(boolean backward, boolean forward, boolean transitive) {
        this.backward = backward;
        this.forward = forward;
        this.transitive = transitive;
    }

    static Optional<CompatibilityLevel> parse(String text) {
        if (text == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(valueOf(text.strip().toUpperCase(Locale.ROOT)));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** The earlier versions (oldest first) that a new schema is checked against at this level. */
    <T> List<T> checkedVersions(List<T> earlier) {
        if (this == NONE || earlier.isEmpty()) {
            return List.of();
        }
        return transitive ? earlier : List.of(earlier.getLast());
    }

    /**
     * Why {@code candidate} may not follow {@code earlier} at this level; empty when it may.
     *
     * @param label names the earlier schema in the messages, e.g. "version 2"
     */
    List<String> incompatibilities(Schema candidate, Schema earlier, String label) {
        List<String> messages = new ArrayList<>();
        if (backward) {
            describe(SchemaCompatibility.checkReaderWriterCompatibility(candidate, earlier),
                    "the new schema cannot read data written with " + label, messages);
        }
        if (forward) {
            describe(SchemaCompatibility.checkReaderWriterCompatibility(earlier, candidate),
                    label + " cannot read data written with the new schema", messages);
        }
        return messages;
    }

    private static void describe(SchemaPairCompatibility result, String direction, List<String> messages) {
        for (Incompatibility incompatibility : result.getResult().getIncompatibilities()) {
            messages.add("{errorType:'" + incompatibility.getType() + "', description:'" + direction + ": "
                    + incompatibility.getMessage() + "', location:'" + incompatibility.getLocation() + "'}");
        }
    }
}
