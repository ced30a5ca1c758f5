package dev.cqrs.bench.scenario;

import dev.cqrs.bench.measure.CpuCost;
import dev.cqrs.bench.measure.LatencySample;
import dev.cqrs.bench.measure.Stats;
import java.util.List;
import java.util.Objects;

/**
 * One side of a comparison over all rounds: its value in each round (in the comparison's unit) and
 * the latency of every operation of every round.
 *
 * @param label     e.g. {@code ours}, {@code raw JDBC}, {@code Axon 4.13.0}
 * @param rounds    the value of each round, in the order run
 * @param latencies every operation's latency, all rounds together
 * @param cpu       the CPU one operation cost the client and the server, per round
 */
public record Figures(String label, List<Double> rounds, LatencySample latencies, List<CpuCost> cpu) {

    public Figures {
        Objects.requireNonNull(label, "label");
        rounds = List.copyOf(rounds);
        Objects.requireNonNull(latencies, "latencies");
        cpu = List.copyOf(cpu);
        if (rounds.isEmpty()) {
            throw new IllegalArgumentException(label + " has no rounds");
        }
    }

    /** The median over rounds of the CPU per operation, client and server apart. */
    public CpuCost medianCpu() {
        if (cpu.isEmpty()) {
            return CpuCost.UNKNOWN;
        }
        return new CpuCost(Stats.median(cpu.stream().mapToDouble(CpuCost::clientMicros).toArray()),
                Stats.median(cpu.stream().mapToDouble(CpuCost::serverMicros).toArray()));
    }

    /** The figure quoted: the median of the rounds, which shrugs off one noisy round. */
    public double median() {
        return Stats.median(rounds.stream().mapToDouble(Double::doubleValue).toArray());
    }
}
