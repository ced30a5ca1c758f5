package dev.cqrs.reliability.faults;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * The order of a run's injections: each chosen kind {@code perKind} times, its variants in turn from a
 * seeded starting point, the whole list shuffled by the seed, and each injection with a seed of its own
 * (for its durations and targets) and a random pause before it. The same seed gives the same plan.
 */
final class FaultPlan {

    /** One planned injection. */
    record Planned(int ordinal, FaultKind kind, String variant, long seed, long pauseBeforeMillis) {
    }

    private FaultPlan() {
    }

    static List<Planned> of(Set<FaultKind> kinds, int perKind, long seed) {
        Random random = new Random(seed);
        List<FaultKind> order = new ArrayList<>();
        List<String> variants = new ArrayList<>();
        for (FaultKind kind : FaultKind.values()) {
            if (!kinds.contains(kind)) {
                continue;
            }
            int first = random.nextInt(kind.variants.size());
            for (int i = 0; i < perKind; i++) {
                order.add(kind);
                variants.add(kind.variants.get((first + i) % kind.variants.size()));
            }
        }
        List<Integer> shuffled = new ArrayList<>();
        for (int i = 0; i < order.size(); i++) {
            shuffled.add(i);
        }
        Collections.shuffle(shuffled, random);
        List<Planned> plan = new ArrayList<>();
        for (int i : shuffled) {
            plan.add(new Planned(plan.size() + 1, order.get(i), variants.get(i), random.nextLong(), 2_000 + random.nextInt(4_001)));
        }
        return plan;
    }
}
