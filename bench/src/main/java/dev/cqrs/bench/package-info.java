/**
 * The benchmarks behind {@code ./cqrs bench}: every figure of ours measured beside a baseline (raw
 * JDBC on the same server, or a peer, Axon Framework) in the same run, alternating round by round.
 *
 * <p>Where to start: {@link dev.cqrs.bench.Bench} (the command), {@link dev.cqrs.bench.scenario.Scenario}
 * and {@link dev.cqrs.bench.scenario.Scenarios} (the registry: a new scenario is one class and one
 * line there), {@link dev.cqrs.bench.scenario.Rounds} (how sides alternate and what is quoted).
 * Sub-packages by concept: {@code measure} (closed-loop load, latencies, medians), {@code workload}
 * (the bench aggregate, its rows, our store and the raw table), {@code append}, {@code rehydrate},
 * {@code axon} (the scenarios), {@code report} (text, JSON, SVG).
 */
package dev.cqrs.bench;
