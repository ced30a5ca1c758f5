package dev.cqrs.bench.scenario;

import java.util.Objects;
import java.util.Optional;

/**
 * Our figures beside a baseline's, measured in the same run on the same server, alternating round
 * by round.
 *
 * @param name        short and stable, e.g. {@code append}; the JSON and the plots use it
 * @param description what exactly was measured on each side
 * @param metric      the unit and which way is better
 * @param ours        our side
 * @param baseline    the side we are measured against (raw JDBC, a peer, or ourselves without a feature)
 * @param target      the ratio (or, for a latency, our own figure) we must reach, if any
 */
public record Comparison(String name, String description, Metric metric, Figures ours, Figures baseline,
                         Optional<Target> target) {

    public Comparison {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(description, "description");
        Objects.requireNonNull(metric, "metric");
        Objects.requireNonNull(ours, "ours");
        Objects.requireNonNull(baseline, "baseline");
        Objects.requireNonNull(target, "target");
    }

    /**
     * Ours relative to the baseline as a speed, from the medians: ours / baseline for a throughput,
     * baseline / ours for a time. Above 1 we are faster; 0.7 means we reach 70% of its speed.
     */
    public double ratio() {
        return metric.higherIsBetter() ? ours.median() / baseline.median() : baseline.median() / ours.median();
    }

    public Verdict verdict() {
        return target.map(t -> t.isMetBy(this) ? Verdict.PASS : Verdict.FAIL).orElse(Verdict.NO_TARGET);
    }
}
