package dev.cqrs.embedded.registry;

import dev.cqrs.embedded.registry.SchemaLog.ConfigEntry;
import dev.cqrs.embedded.registry.SchemaLog.SchemaEntry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.avro.Schema;

/**
 * What the registry knows, rebuilt from its {@link SchemaLog}: schemas by global id, the versions
 * of each subject and the compatibility levels. Not thread-safe: the registry holds one lock
 * around every use.
 *
 * <p>Invariants: one id per distinct schema (compared in Avro's parsed form, so whitespace and
 * attribute order do not matter), whatever the subject; in a subject, versions count up from 1
 * and a schema appears at most once.
 */
final class RegistryState {

    /** A schema as registered: the canonical text (Avro's rendering of the parsed schema) and its parse. */
    record StoredSchema(int id, String canonical, Schema parsed) {
    }

    /** One version of a subject. */
    record SubjectVersion(String subject, int version, StoredSchema schema) {
    }

    private final Map<Integer, StoredSchema> schemasById = new HashMap<>();
    private final Map<String, Integer> idsByCanonical = new HashMap<>();
    private final TreeMap<String, List<SubjectVersion>> subjects = new TreeMap<>();
    private final Map<String, CompatibilityLevel> subjectLevels = new HashMap<>();
    private CompatibilityLevel globalLevel = CompatibilityLevel.BACKWARD;

    void apply(SchemaEntry entry) {
        Schema parsed = Schemas.parse(entry.schema());
        StoredSchema schema = new StoredSchema(entry.id(), parsed.toString(), parsed);
        schemasById.putIfAbsent(schema.id(), schema);
        idsByCanonical.putIfAbsent(schema.canonical(), schema.id());
        List<SubjectVersion> versions = subjects.computeIfAbsent(entry.subject(), s -> new ArrayList<>());
        versions.removeIf(v -> v.version() == entry.version());
        versions.add(new SubjectVersion(entry.subject(), entry.version(), schema));
        versions.sort((a, b) -> Integer.compare(a.version(), b.version()));
    }

    void apply(ConfigEntry entry) {
        entry.subject().ifPresentOrElse(subject -> subjectLevels.put(subject, entry.level()),
                () -> globalLevel = entry.level());
    }

    Optional<StoredSchema> schema(int id) {
        return Optional.ofNullable(schemasById.get(id));
    }

    /** The id that {@code canonical} has under any subject. */
    Optional<Integer> id(String canonical) {
        return Optional.ofNullable(idsByCanonical.get(canonical));
    }

    int nextId() {
        return schemasById.keySet().stream().mapToInt(Integer::intValue).max().orElse(0) + 1;
    }

    List<String> subjects() {
        return List.copyOf(subjects.keySet());
    }

    /** The versions of {@code subject}, oldest first; empty when there is no such subject. */
    List<SubjectVersion> versions(String subject) {
        return List.copyOf(subjects.getOrDefault(subject, List.of()));
    }

    CompatibilityLevel globalLevel() {
        return globalLevel;
    }

    Optional<CompatibilityLevel> subjectLevel(String subject) {
        return Optional.ofNullable(subjectLevels.get(subject));
    }

    CompatibilityLevel effectiveLevel(String subject) {
        return subjectLevel(subject).orElse(globalLevel);
    }
}
