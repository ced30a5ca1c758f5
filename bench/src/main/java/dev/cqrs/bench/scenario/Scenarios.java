package dev.cqrs.bench.scenario;

import dev.cqrs.bench.append.AppendScenario;
import dev.cqrs.bench.append.BatchScenario;
import dev.cqrs.bench.axon.AxonScenario;
import dev.cqrs.bench.dcb.DcbScenario;
import dev.cqrs.bench.endtoend.EndToEndScenario;
import dev.cqrs.bench.rehydrate.RehydrateScenario;
import dev.cqrs.bench.replay.ReplayScenario;
import dev.cqrs.bench.relay.RelayScenario;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/** Every scenario, in the order a default run takes them. */
public final class Scenarios {

    private Scenarios() {
    }

    /**
     * The registry. A new scenario (relay, end-to-end, projection replay, ...) is one class and one
     * line here.
     */
    public static List<Scenario> all() {
        return List.of(
                new AppendScenario(),
                new BatchScenario(),
                new RehydrateScenario(),
                new AxonScenario(),
                new RelayScenario(),
                new EndToEndScenario(),
                new ReplayScenario(),
                new DcbScenario());
    }

    /**
     * The scenarios named, in registry order.
     *
     * @throws IllegalArgumentException naming the unknown ones and the known ones
     */
    public static List<Scenario> named(List<String> names) {
        Map<String, Scenario> byName = all().stream()
                .collect(Collectors.toMap(Scenario::name, Function.identity(), (a, b) -> a, java.util.LinkedHashMap::new));
        List<String> unknown = names.stream().filter(n -> !byName.containsKey(n)).toList();
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("unknown scenario(s) " + String.join(", ", unknown)
                    + "; known: " + String.join(", ", byName.keySet()));
        }
        List<Scenario> chosen = new ArrayList<>();
        byName.forEach((name, scenario) -> {
            if (names.contains(name)) {
                chosen.add(scenario);
            }
        });
        return chosen;
    }
}
