package dev.cqrs.bench.measure;

import java.util.Arrays;

/** The summary statistics the reports quote. */
public final class Stats {

    private Stats() {
    }

    /** The median; the mean of the two middle values for an even count. */
    public static double median(double... values) {
        if (values.length == 0) {
            throw new IllegalArgumentException("the median of nothing");
        }
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int middle = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}
