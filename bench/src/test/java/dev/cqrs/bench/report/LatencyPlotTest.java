package dev.cqrs.bench.report;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cqrs.bench.measure.CpuCost;
import dev.cqrs.bench.measure.LatencySample;
import dev.cqrs.bench.scenario.Comparison;
import dev.cqrs.bench.scenario.Figures;
import dev.cqrs.bench.scenario.Metric;
import dev.cqrs.bench.scenario.Target;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;

class LatencyPlotTest {

    static Comparison comparison(String oursLabel, String baselineLabel) {
        long[] ours = new long[10_000];
        long[] baseline = new long[5_000];
        for (int i = 0; i < ours.length; i++) {
            ours[i] = 1_000_000L + i * 100L;
        }
        for (int i = 0; i < baseline.length; i++) {
            baseline[i] = 800_000L + i * 150L;
        }
        return new Comparison("append", "a test", Metric.throughput("commands/s"),
                new Figures(oursLabel, List.of(900.0, 1_000.0, 1_100.0), LatencySample.of(ours), List.of(CpuCost.UNKNOWN)),
                new Figures(baselineLabel, List.of(1_200.0, 1_300.0), LatencySample.of(baseline), List.of()),
                Optional.of(Target.atLeast(0.7)));
    }

    @Test
    void thePlotIsWellFormedSvgWithOneLinePerSideAndALegend() throws Exception {
        String svg = LatencyPlot.svg(comparison("ours", "raw <JDBC> & co"));

        Document document = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
        assertThat(document.getDocumentElement().getTagName()).isEqualTo("svg");
        assertThat(document.getElementsByTagName("polyline").getLength()).isEqualTo(2);
        assertThat(svg).contains("raw &lt;JDBC&gt; &amp; co: p50").contains("ours: p50").contains("99.9%");
    }

    @Test
    void theSeriesRisesWithThePercentileFromTheMinimumToTheDeepestResolvedOne() {
        LatencySample sample = LatencySample.of(1_000_000, 2_000_000, 3_000_000, 4_000_000);

        double[] ys = LatencyPlot.series(sample, 1);

        assertThat(ys[0]).isEqualTo(1.0);
        assertThat(ys[ys.length - 1]).isEqualTo(4.0); // 90% of 4 values: the 4th
        for (int i = 1; i < ys.length; i++) {
            assertThat(ys[i]).isGreaterThanOrEqualTo(ys[i - 1]);
        }
    }

    @Test
    void gridStepsAreOneTwoOrFiveTimesAPowerOfTen() {
        assertThat(LatencyPlot.niceStep(0.7)).isEqualTo(1);
        assertThat(LatencyPlot.niceStep(1.3)).isEqualTo(2);
        assertThat(LatencyPlot.niceStep(3)).isEqualTo(5);
        assertThat(LatencyPlot.niceStep(42)).isEqualTo(50);
        assertThat(LatencyPlot.niceStep(0)).isEqualTo(1);
        assertThat(LatencyPlot.tick(25, 5)).isEqualTo("25");
        assertThat(LatencyPlot.tick(0.5, 0.5)).isEqualTo("0.5");
        assertThat(LatencyPlot.tick(0.04, 0.02)).isEqualTo("0.04");
    }
}
