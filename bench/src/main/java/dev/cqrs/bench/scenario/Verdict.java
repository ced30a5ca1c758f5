package dev.cqrs.bench.scenario;

/** Whether a comparison met its target. */
public enum Verdict {
    PASS,
    FAIL,
    /** The comparison has no target: its figures are for information. */
    NO_TARGET
}
