package dev.cqrs.bench.scenario;

/**
 * What a comparison must reach. Most targets are a minimum ratio: appends at {@code 0.7} of raw JDBC,
 * or ahead of a peer at {@code 1.0}; the ratio is always ours relative to the baseline as a speed (see
 * {@link Comparison#ratio()}), so such a target is a minimum. A few are absolute, on our figure alone:
 * a latency such as "p99 under 20 ms" does not depend on what a baseline does.
 */
public sealed interface Target {

    /** Whether the comparison meets this target. */
    boolean isMetBy(Comparison comparison);

    /** As the reports print it after {@code target}: {@code >= 0.70}, {@code ours < 20 ms (p99)}. */
    String describe(Metric metric);

    /** The ratio must be at least {@code minimumRatio}. */
    record MinimumRatio(double minimumRatio) implements Target {

        public MinimumRatio {
            if (!(minimumRatio > 0)) {
                throw new IllegalArgumentException("a target ratio is positive, got " + minimumRatio);
            }
        }

        @Override
        public boolean isMetBy(Comparison comparison) {
            return comparison.ratio() >= minimumRatio;
        }

        @Override
        public String describe(Metric metric) {
            return ">= " + Format.ratio(minimumRatio);
        }
    }

    /**
     * Our figure (the median over rounds, in the metric's unit) must be under {@code limit}: e.g. a p99
     * latency under 20 ms, whatever the baseline measured.
     */
    record OursBelow(double limit) implements Target {

        public OursBelow {
            if (!(limit > 0)) {
                throw new IllegalArgumentException("a limit is positive, got " + limit);
            }
        }

        @Override
        public boolean isMetBy(Comparison comparison) {
            return comparison.ours().median() < limit;
        }

        @Override
        public String describe(Metric metric) {
            return "ours < " + Format.value(limit, metric);
        }
    }

    static Target atLeast(double minimumRatio) {
        return new MinimumRatio(minimumRatio);
    }

    static Target oursBelow(double limit) {
        return new OursBelow(limit);
    }
}
