package dev.cqrs.core;

import java.util.Optional;

/**
 * A precondition that did not hold: which stream, what was required, and what was found. This is the
 * optimistic-concurrency conflict: someone else wrote to the stream first, or it (does not) exist.
 *
 * @param actual the stream's version when checked, or empty when the stream did not exist
 */
public record PreconditionFailed(StreamId stream, Precondition precondition, Optional<Version> actual) {

    /** A sentence for logs and API errors. */
    public String message() {
        String found = actual.map(v -> "is at version " + v).orElse("does not exist");
        return "precondition " + precondition + " failed for " + stream + ": the stream " + found;
    }
}
