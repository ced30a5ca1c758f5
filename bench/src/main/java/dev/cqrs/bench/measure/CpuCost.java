package dev.cqrs.bench.measure;

/**
 * CPU time per operation, in microseconds, of the client (this JVM) and of the server; NaN where
 * it could not be read.
 */
public record CpuCost(double clientMicros, double serverMicros) {

    public static final CpuCost UNKNOWN = new CpuCost(Double.NaN, Double.NaN);

    public static CpuCost between(CpuClock.Reading before, CpuClock.Reading after, long operations) {
        if (operations <= 0) {
            return UNKNOWN;
        }
        return new CpuCost(perOperation(before.clientNanos(), after.clientNanos(), operations),
                perOperation(before.serverNanos(), after.serverNanos(), operations));
    }

    private static double perOperation(long before, long after, long operations) {
        return before < 0 || after < 0 ? Double.NaN : (after - before) / 1e3 / operations;
    }
}
