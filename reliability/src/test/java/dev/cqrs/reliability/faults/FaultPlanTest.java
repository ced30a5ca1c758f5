package dev.cqrs.reliability.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The plan of a run: every chosen kind as often as asked, its variants in turn, and one seed replays it all. */
class FaultPlanTest {

    @Test
    void everyKindIsInjectedAsOftenAsAskedAndEachOfItsVariantsStrikes() {
        List<FaultPlan.Planned> plan = FaultPlan.of(EnumSet.allOf(FaultKind.class), 5, 42);

        assertThat(plan).hasSize(45);
        Map<FaultKind, Long> perKind = plan.stream().collect(Collectors.groupingBy(FaultPlan.Planned::kind, Collectors.counting()));
        assertThat(perKind).hasSize(9).allSatisfy((kind, count) -> assertThat(count).isEqualTo(5));
        for (FaultKind kind : FaultKind.values()) {
            Map<String, Long> variants = plan.stream().filter(p -> p.kind() == kind)
                    .collect(Collectors.groupingBy(FaultPlan.Planned::variant, Collectors.counting()));
            assertThat(variants.keySet()).as(kind.name()).containsExactlyInAnyOrderElementsOf(kind.variants);
            assertThat(variants.values()).as(kind.name()).allSatisfy(n -> assertThat(n).isGreaterThanOrEqualTo(5 / kind.variants.size()));
        }
        assertThat(plan).extracting(FaultPlan.Planned::ordinal).containsExactlyElementsOf(
                java.util.stream.IntStream.rangeClosed(1, 45).boxed().toList());
        assertThat(plan).allSatisfy(p -> assertThat(p.pauseBeforeMillis()).isBetween(2_000L, 6_000L));
    }

    @Test
    void theSameSeedGivesTheSamePlanAndAnotherSeedAnotherOrder() {
        Function<Long, List<String>> plan = seed -> FaultPlan.of(EnumSet.allOf(FaultKind.class), 5, seed).stream()
                .map(p -> p.kind() + "/" + p.variant() + "/" + p.seed() + "/" + p.pauseBeforeMillis()).toList();

        assertThat(plan.apply(7L)).isEqualTo(plan.apply(7L));
        assertThat(plan.apply(7L)).isNotEqualTo(plan.apply(8L));
    }

    @Test
    void onlyTheKindsNamedAreInjected() {
        assertThat(FaultPlan.of(FaultKind.parse("2, failover_with_loss"), 3, 1)).extracting(FaultPlan.Planned::kind)
                .containsOnly(FaultKind.PAUSE_RELAY, FaultKind.FAILOVER_WITH_LOSS).hasSize(6);
    }

    @Test
    void badOptionsAreRefusedByName() {
        assertThatThrownBy(() -> FaultSuite.Options.parse(new String[] {"--only", "10"})).hasMessageContaining("no fault kind 10");
        assertThatThrownBy(() -> FaultSuite.Options.parse(new String[] {"--only", "pause"})).hasMessageContaining("'pause' is not a fault kind");
        assertThatThrownBy(() -> FaultSuite.Options.parse(new String[] {"--only", ","})).hasMessageContaining("at least one fault kind");
        assertThatThrownBy(() -> FaultSuite.Options.parse(new String[] {"--seed", "x"})).hasMessageContaining("--seed 'x'");
        assertThatThrownBy(() -> FaultSuite.Options.parse(new String[] {"--faults-per-kind", "0"})).hasMessageContaining("from 1 to 100");
        assertThatThrownBy(() -> FaultSuite.Options.parse(new String[] {"--clients"})).hasMessageContaining("--clients needs a value");
        assertThatThrownBy(() -> FaultSuite.Options.parse(new String[] {"--fast"})).hasMessageContaining("unknown argument '--fast'");
        assertThat(FaultSuite.Options.parse(new String[] {"--seed", "12", "--only", "1,9"}).kinds())
                .containsExactly(FaultKind.KILL, FaultKind.POSTGRES_CRASH);
    }
}
