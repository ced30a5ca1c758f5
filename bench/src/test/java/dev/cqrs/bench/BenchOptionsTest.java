package dev.cqrs.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cqrs.bench.scenario.Scenario;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.List;
import org.junit.jupiter.api.Test;

class BenchOptionsTest {

    private static final Path HOME = Path.of("/repo");
    private static final LocalDateTime NOW = LocalDateTime.of(2026, 11, 27, 14, 5, 9);

    @Test
    void withoutArgumentsEveryScenarioRunsAtFullScaleIntoADatedDirectory() throws Exception {
        BenchOptions options = BenchOptions.parse(List.of(), HOME, NOW).orElseThrow();

        assertThat(options.scale()).isEqualTo(1.0);
        assertThat(options.rounds()).isEqualTo(5);
        assertThat(options.clients()).isEqualTo(8);
        assertThat(options.scenarios()).extracting(Scenario::name).containsExactly("append", "batch", "rehydrate", "axon", "relay",
                "endtoend", "replay", "dcb");
        assertThat(options.events()).isEmpty();
        assertThat(options.out()).isEqualTo(Path.of("/repo/bench/results/2026-11-27T14-05-09"));
    }

    @Test
    void optionsPickScenariosInRegistryOrderAndSetScaleRoundsClientsAndOutput() throws Exception {
        BenchOptions options = BenchOptions.parse(List.of("--scenarios", "axon, append", "--scale", "0.1",
                "--rounds", "3", "--clients", "4", "--out", "target/x"), HOME, NOW).orElseThrow();

        assertThat(options.scenarios()).extracting(Scenario::name).containsExactly("append", "axon");
        assertThat(options.scale()).isEqualTo(0.1);
        assertThat(options.rounds()).isEqualTo(3);
        assertThat(options.clients()).isEqualTo(4);
        assertThat(options.out()).isEqualTo(Path.of("target/x"));
    }

    @Test
    void eventsSetsTheBacklogSizeWhateverTheScale() throws Exception {
        BenchOptions options = BenchOptions.parse(List.of("--events", "1000000", "--scale", "0.1"), HOME, NOW).orElseThrow();

        assertThat(options.events()).hasValue(1_000_000);
        assertThat(options.scale()).isEqualTo(0.1);
    }

    @Test
    void helpIsAskedForWithHelpOrH() throws Exception {
        assertThat(BenchOptions.parse(List.of("--help"), HOME, NOW)).isEmpty();
        assertThat(BenchOptions.parse(List.of("-h"), HOME, NOW)).isEmpty();
    }

    @Test
    void badCommandLinesAreRefusedWithWhatIsWrong() {
        assertThatThrownBy(() -> BenchOptions.parse(List.of("--scenarios", "append,fast"), HOME, NOW))
                .hasMessageContaining("unknown scenario(s) fast").hasMessageContaining("known: append, batch");
        assertThatThrownBy(() -> BenchOptions.parse(List.of("--scale", "0"), HOME, NOW)).hasMessageContaining("--scale");
        assertThatThrownBy(() -> BenchOptions.parse(List.of("--scale", "fast"), HOME, NOW)).hasMessageContaining("number");
        assertThatThrownBy(() -> BenchOptions.parse(List.of("--rounds"), HOME, NOW)).hasMessageContaining("needs a value");
        assertThatThrownBy(() -> BenchOptions.parse(List.of("--rounds", "0"), HOME, NOW)).hasMessageContaining("from 1");
        assertThatThrownBy(() -> BenchOptions.parse(List.of("--fast"), HOME, NOW)).hasMessageContaining("unknown option");
        assertThatThrownBy(() -> BenchOptions.parse(List.of("--events", "10"), HOME, NOW)).hasMessageContaining("from 1000");
    }
}
