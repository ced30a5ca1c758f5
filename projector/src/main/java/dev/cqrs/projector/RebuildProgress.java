package dev.cqrs.projector;

import java.time.Duration;
import java.util.Optional;

/**
 * Where a rebuild stands.
 *
 * @param generation      the generation being built
 * @param done            true once it serves readers
 * @param consumed        records consumed so far
 * @param total           records in the projection's topics now
 * @param recordsPerSecond recent speed
 * @param remaining       estimated time left, while building and moving
 */
public record RebuildProgress(String projection, int generation, boolean done, long consumed, long total,
                              double recordsPerSecond, Optional<Duration> remaining) {
}
