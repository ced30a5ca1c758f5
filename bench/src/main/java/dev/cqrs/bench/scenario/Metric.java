package dev.cqrs.bench.scenario;

import java.util.Objects;

/**
 * What a comparison measures: its unit and which way is better. Throughputs are better higher,
 * times lower.
 *
 * @param unit   e.g. {@code commands/s}, {@code events/s}, {@code ms}
 * @param higherIsBetter true for a throughput, false for a time
 */
public record Metric(String unit, boolean higherIsBetter) {

    public Metric {
        Objects.requireNonNull(unit, "unit");
    }

    public static Metric throughput(String unit) {
        return new Metric(unit, true);
    }

    public static Metric time(String unit) {
        return new Metric(unit, false);
    }
}
