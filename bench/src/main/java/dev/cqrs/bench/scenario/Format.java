package dev.cqrs.bench.scenario;

import dev.cqrs.bench.measure.CpuCost;
import java.util.Locale;

/** How figures read in the console and in BENCHMARKS.md: {@code 5,123 commands/s}, {@code 41.7 ms}. */
public final class Format {

    private Format() {
    }

    public static String value(double value, Metric metric) {
        return number(value) + " " + metric.unit();
    }

    /** Thousands separated above 100; three significant digits below. */
    public static String number(double value) {
        if (Math.abs(value) >= 100) {
            return String.format(Locale.ROOT, "%,.0f", value);
        }
        if (Math.abs(value) >= 10) {
            return String.format(Locale.ROOT, "%.1f", value);
        }
        return String.format(Locale.ROOT, "%.2f", value);
    }

    /** Nanoseconds as milliseconds, e.g. {@code 1.84 ms}. */
    public static String millis(long nanos) {
        return number(nanos / 1e6) + " ms";
    }

    /** e.g. {@code  [CPU/op: client 41 µs, server 63 µs]}, or nothing when unknown. */
    public static String cpu(CpuCost cpu) {
        if (Double.isNaN(cpu.clientMicros())) {
            return "";
        }
        return " [CPU/op: client " + number(cpu.clientMicros()) + " µs"
                + (Double.isNaN(cpu.serverMicros()) ? "" : ", server " + number(cpu.serverMicros()) + " µs") + "]";
    }

    public static String ratio(double ratio) {
        return String.format(Locale.ROOT, "%.2f", ratio);
    }
}
