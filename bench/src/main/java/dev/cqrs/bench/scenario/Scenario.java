package dev.cqrs.bench.scenario;

import java.util.List;

/**
 * One benchmark scenario: sets up what it needs on the context's server, runs our side and its
 * baselines alternately for the context's rounds, and returns the comparisons. A new scenario is
 * one class implementing this, listed in {@link Scenarios#all()}.
 *
 * <p>Rules every scenario keeps: a database of its own ({@link BenchContext#newDatabase}); a
 * warm-up of every side before the rounds; every side run in every round, the order alternating
 * ({@link Rounds}); sizes and durations through {@link BenchContext#scaled}, so that
 * {@code --scale} shrinks them; no figure computed anywhere but from what was measured.
 */
public interface Scenario {

    /** The name used by {@code --scenarios}, e.g. {@code append}. */
    String name();

    /** One line: what it measures against what. */
    String description();

    List<Comparison> run(BenchContext context) throws Exception;
}
