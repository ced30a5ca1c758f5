package dev.cqrs.bench.scenario;

/**
 * What a comparison's ratio must reach: e.g. appends at {@code 0.7} of raw JDBC, or ahead of a peer
 * at {@code 1.0}. The ratio is always ours relative to the baseline as a speed (see
 * {@link Comparison#ratio()}), so a target is always a minimum.
 */
public record Target(double minimumRatio) {

    public Target {
        if (!(minimumRatio > 0)) {
            throw new IllegalArgumentException("a target ratio is positive, got " + minimumRatio);
        }
    }

    public static Target atLeast(double minimumRatio) {
        return new Target(minimumRatio);
    }

    public boolean isMetBy(double ratio) {
        return ratio >= minimumRatio;
    }
}
