package dev.cqrs.core;

import java.util.Objects;
import java.util.Optional;

/**
 * What must hold of a stream for an append to go ahead. A sink checks it atomically with its write.
 *
 * <p>{@link #verify} decides, given the stream's current version ({@code empty} when the stream does
 * not exist):
 *
 * <pre>
 * | precondition              | stream absent | stream at Initial | stream at n            |
 * |---------------------------|---------------|-------------------|------------------------|
 * | New                       | pass          | FAIL              | FAIL                   |
 * | Exists                    | FAIL          | pass              | pass                   |
 * | ExpectedVersion(Initial)  | pass          | pass              | FAIL                   |
 * | ExpectedVersion(m)        | FAIL          | FAIL              | pass only if m == n    |
 * </pre>
 *
 * <p>The current version is compared, never the next one (a bug of the seed's memory store), and the
 * check is never skipped for a stream without events (a bug of the seed's PostgreSQL append).
 */
public sealed interface Precondition permits Precondition.New, Precondition.Exists, Precondition.ExpectedVersion {

    /** The stream must not exist yet. */
    record New() implements Precondition {
        @Override
        public boolean isSatisfiedBy(Optional<Version> current) {
            return current.isEmpty();
        }

        @Override
        public String toString() {
            return "New";
        }
    }

    /** The stream must exist, at any version. */
    record Exists() implements Precondition {
        @Override
        public boolean isSatisfiedBy(Optional<Version> current) {
            return current.isPresent();
        }

        @Override
        public String toString() {
            return "Exists";
        }
    }

    /** The stream must be at exactly this version; {@code Initial} also accepts an absent stream. */
    record ExpectedVersion(Version version) implements Precondition {
        public ExpectedVersion {
            Objects.requireNonNull(version, "version");
        }

        @Override
        public boolean isSatisfiedBy(Optional<Version> current) {
            return switch (version) {
                case Version.Initial i -> current.isEmpty() || current.get() instanceof Version.Initial;
                case Version.Number n -> current.isPresent() && current.get().equals(n);
            };
        }

        @Override
        public String toString() {
            return "ExpectedVersion(" + version + ")";
        }
    }

    static Precondition isNew() {
        return new New();
    }

    static Precondition exists() {
        return new Exists();
    }

    static Precondition expectedVersion(Version version) {
        return new ExpectedVersion(version);
    }

    static Precondition expectedVersion(long version) {
        return new ExpectedVersion(Version.of(version));
    }

    /** Whether a stream at {@code current} (empty: absent) satisfies this precondition. */
    boolean isSatisfiedBy(Optional<Version> current);

    /**
     * Checks this precondition against a stream's current version.
     *
     * @param current the stream's version, or empty when the stream does not exist
     * @throws PreconditionFailedException naming the stream, this precondition and the actual version
     */
    default void verify(StreamId stream, Optional<Version> current) {
        if (!isSatisfiedBy(current)) {
            throw new PreconditionFailedException(new PreconditionFailed(stream, this, current));
        }
    }
}
