package dev.cqrs.embedded.registry;

import dev.cqrs.embedded.registry.RegistryState.StoredSchema;
import dev.cqrs.embedded.registry.RegistryState.SubjectVersion;
import dev.cqrs.embedded.registry.SchemaLog.ConfigEntry;
import dev.cqrs.embedded.registry.SchemaLog.SchemaEntry;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.apache.avro.Schema;

/**
 * The registry's rules (Confluent's, for Avro), over a {@link RegistryState} that every change
 * reaches only after its {@link SchemaLog} entry is durable. One lock orders all operations.
 */
final class Registry implements AutoCloseable {

    private final ReentrantLock lock = new ReentrantLock();
    private final RegistryState state = new RegistryState();
    private final SchemaLog log;
    private final int replayed;

    Registry(SchemaLog log) {
        this.log = log;
        this.replayed = log.replay(state::apply, state::apply);
    }

    /** How many entries the topic held at start. */
    int replayed() {
        return replayed;
    }

    /**
     * Registers {@code schemaText} under {@code subject}: the existing id when the subject has
     * this schema already; otherwise a new version, after the compatibility check, with the id
     * the schema has under any other subject or a new one.
     */
    int register(String subject, String schemaText) {
        Schema parsed = Schemas.parse(schemaText);
        String canonical = parsed.toString();
        return locked(() -> {
            List<SubjectVersion> versions = state.versions(subject);
            Optional<SubjectVersion> existing = find(versions, canonical);
            if (existing.isPresent()) {
                return existing.get().schema().id();
            }
            CompatibilityLevel level = state.effectiveLevel(subject);
            List<String> incompatibilities = incompatibilities(level, parsed, level.checkedVersions(versions));
            if (!incompatibilities.isEmpty()) {
                throw RegistryError.incompatible(subject, incompatibilities.toString());
            }
            int id = state.id(canonical).orElseGet(state::nextId);
            int version = versions.isEmpty() ? 1 : versions.getLast().version() + 1;
            SchemaEntry entry = new SchemaEntry(subject, version, id, canonical);
            log.append(entry);
            state.apply(entry);
            return id;
        });
    }

    /** The version of {@code subject} that has this schema. */
    SubjectVersion lookUp(String subject, String schemaText) {
        String canonical = Schemas.parse(schemaText).toString();
        return locked(() -> find(existingVersions(subject), canonical)
                .orElseThrow(() -> RegistryError.schemaNotFound("under subject '" + subject + "'")));
    }

    StoredSchema schema(int id) {
        return locked(() -> state.schema(id).orElseThrow(() -> RegistryError.schemaNotFound(String.valueOf(id))));
    }

    List<String> subjects() {
        return locked(state::subjects);
    }

    List<Integer> versions(String subject) {
        return locked(() -> existingVersions(subject).stream().map(SubjectVersion::version).toList());
    }

    /** @param version {@code latest}, {@code -1} (latest) or a version number */
    SubjectVersion version(String subject, String version) {
        Optional<Integer> number = parseVersion(version);
        return locked(() -> {
            List<SubjectVersion> versions = existingVersions(subject);
            if (number.isEmpty()) {
                return versions.getLast();
            }
            return versions.stream().filter(v -> v.version() == number.get()).findFirst()
                    .orElseThrow(() -> RegistryError.versionNotFound(number.get()));
        });
    }

    /**
     * Why {@code schemaText} could not follow {@code version} of {@code subject} at the subject's
     * level; empty when it could. For {@code latest} (or no version) the check is the one
     * {@link #register} makes: every earlier version at a transitive level.
     *
     * @param version {@code latest}, {@code -1}, a version number, or empty
     */
    List<String> compatibility(String subject, Optional<String> version, String schemaText) {
        Schema parsed = Schemas.parse(schemaText);
        Optional<Integer> number = version.flatMap(Registry::parseVersion);
        return locked(() -> {
            List<SubjectVersion> versions = existingVersions(subject);
            CompatibilityLevel level = state.effectiveLevel(subject);
            if (number.isEmpty()) {
                return incompatibilities(level, parsed, level.checkedVersions(versions));
            }
            SubjectVersion against = versions.stream().filter(v -> v.version() == number.get()).findFirst()
                    .orElseThrow(() -> RegistryError.versionNotFound(number.get()));
            return level == CompatibilityLevel.NONE ? List.of() : incompatibilities(level, parsed, List.of(against));
        });
    }

    CompatibilityLevel globalLevel() {
        return locked(state::globalLevel);
    }

    /** The subject's own level; with {@code defaultToGlobal}, the global one when it has none. */
    CompatibilityLevel subjectLevel(String subject, boolean defaultToGlobal) {
        return locked(() -> state.subjectLevel(subject)
                .or(() -> defaultToGlobal ? Optional.of(state.globalLevel()) : Optional.empty())
                .orElseThrow(() -> RegistryError.subjectLevelNotConfigured(subject)));
    }

    /** Sets the global level (no subject) or a subject's level; the subject need not exist. */
    CompatibilityLevel setLevel(Optional<String> subject, String level) {
        CompatibilityLevel parsed = CompatibilityLevel.parse(level)
                .orElseThrow(() -> RegistryError.invalidCompatibilityLevel(level));
        return locked(() -> {
            ConfigEntry entry = new ConfigEntry(subject, parsed);
            log.append(entry);
            state.apply(entry);
            return parsed;
        });
    }

    @Override
    public void close() {
        log.close();
    }

    private List<SubjectVersion> existingVersions(String subject) {
        List<SubjectVersion> versions = state.versions(subject);
        if (versions.isEmpty()) {
            throw RegistryError.subjectNotFound(subject);
        }
        return versions;
    }

    private static Optional<SubjectVersion> find(List<SubjectVersion> versions, String canonical) {
        return versions.stream().filter(v -> v.schema().canonical().equals(canonical)).findFirst();
    }

    private static List<String> incompatibilities(CompatibilityLevel level, Schema candidate,
                                                  List<SubjectVersion> earlier) {
        List<String> messages = new ArrayList<>();
        for (SubjectVersion version : earlier) {
            messages.addAll(level.incompatibilities(candidate, version.schema().parsed(),
                    "version " + version.version()));
        }
        return messages;
    }

    /** Empty for the latest version. */
    private static Optional<Integer> parseVersion(String version) {
        if (version.equals("latest") || version.equals("-1")) {
            return Optional.empty();
        }
        try {
            int number = Integer.parseInt(version);
            if (number >= 1) {
                return Optional.of(number);
            }
        } catch (NumberFormatException e) {
            // falls through to the refusal
        }
        throw RegistryError.invalidVersion(version);
    }

    private <T> T locked(Supplier<T> operation) {
        lock.lock();
        try {
            return operation.get();
        } finally {
            lock.unlock();
        }
    }
}
