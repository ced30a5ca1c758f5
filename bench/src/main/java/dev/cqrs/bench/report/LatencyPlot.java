package dev.cqrs.bench.report;

import dev.cqrs.bench.measure.LatencySample;
import dev.cqrs.bench.scenario.Comparison;
import dev.cqrs.bench.scenario.Figures;
import dev.cqrs.bench.scenario.Format;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * A latency-by-percentile plot of a comparison as SVG, ours beside the baseline: the x axis is the
 * percentile on a log scale of 1/(1 - p), so that the median, 90%, 99% and 99.9% get equal room
 * and the tail is visible; the y axis is milliseconds. Written by hand: one file, no dependency.
 */
public final class LatencyPlot {

    static final int WIDTH = 760;
    static final int HEIGHT = 440;
    private static final int LEFT = 70;
    private static final int RIGHT = 20;
    private static final int TOP = 56;
    private static final int BOTTOM = 56;
    private static final int POINTS = 400;
    private static final String[] COLOURS = {"#1f6fb4", "#e8710a"};

    private LatencyPlot() {
    }

    public static void write(Comparison comparison, Path file) throws IOException {
        Files.writeString(file, svg(comparison));
    }

    public static String svg(Comparison c) {
        Figures[] sides = {c.ours(), c.baseline()};
        // The deepest percentile that both samples resolve: 1 - 1/count, at most 99.99%.
        double xMax = Math.max(1, Math.min(4, Math.log10(Math.min(c.ours().latencies().count(),
                c.baseline().latencies().count()))));
        double[][] ys = new double[2][];
        double yTop = 0;
        for (int s = 0; s < 2; s++) {
            ys[s] = series(sides[s].latencies(), xMax);
            for (double y : ys[s]) {
                yTop = Math.max(yTop, y);
            }
        }
        double step = niceStep(yTop / 5);
        double yMax = Math.max(step, Math.ceil(yTop / step) * step);

        int plotWidth = WIDTH - LEFT - RIGHT;
        int plotHeight = HEIGHT - TOP - BOTTOM;
        StringBuilder svg = new StringBuilder(32_000);
        svg.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(WIDTH).append("\" height=\"")
                .append(HEIGHT).append("\" viewBox=\"0 0 ").append(WIDTH).append(' ').append(HEIGHT)
                .append("\" font-family=\"sans-serif\" font-size=\"12\">\n")
                .append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        text(svg, LEFT, 22, "start", "font-size=\"15\" font-weight=\"bold\"",
                c.name() + ": latency of one operation by percentile");
        text(svg, LEFT, 40, "start", "fill=\"#555\"", c.ours().label() + " vs " + c.baseline().label()
                + ", all rounds; ratio " + Format.ratio(c.ratio()) + " on " + c.metric().unit());

        // Grid and axes.
        for (double y = 0; y <= yMax + step / 2; y += step) {
            double py = TOP + plotHeight - y / yMax * plotHeight;
            line(svg, LEFT, py, LEFT + plotWidth, py, "#e4e4e4");
            text(svg, LEFT - 6, py + 4, "end", "", tick(y, step));
        }
        double[] tickPercentiles = {0, 50, 90, 99, 99.9, 99.99};
        for (double p : tickPercentiles) {
            double x = -Math.log10(1 - p / 100);
            if (x > xMax + 1e-9) {
                continue;
            }
            double px = LEFT + x / xMax * plotWidth;
            line(svg, px, TOP, px, TOP + plotHeight, "#e4e4e4");
            text(svg, px, TOP + plotHeight + 16, "middle", "", BigDecimal.valueOf(p).stripTrailingZeros().toPlainString() + "%");
        }
        line(svg, LEFT, TOP, LEFT, TOP + plotHeight, "#333");
        line(svg, LEFT, TOP + plotHeight, LEFT + plotWidth, TOP + plotHeight, "#333");
        text(svg, LEFT + plotWidth / 2.0, HEIGHT - 14, "middle", "", "percentile (log scale of 1/(1 - p))");
        svg.append(String.format(Locale.ROOT,
                "<text x=\"16\" y=\"%.1f\" text-anchor=\"middle\" transform=\"rotate(-90 16 %.1f)\">ms</text>%n",
                TOP + plotHeight / 2.0, TOP + plotHeight / 2.0));

        // The two series, and a legend with their p50 and p99.
        for (int s = 0; s < 2; s++) {
            svg.append("<polyline fill=\"none\" stroke-width=\"2\" stroke=\"").append(COLOURS[s]).append("\" points=\"");
            for (int i = 0; i <= POINTS; i++) {
                double px = LEFT + (double) i / POINTS * plotWidth;
                double py = TOP + plotHeight - ys[s][i] / yMax * plotHeight;
                svg.append(String.format(Locale.ROOT, "%.1f,%.1f ", px, py));
            }
            svg.append("\"/>\n");
            LatencySample l = sides[s].latencies();
            double ly = TOP + 14 + s * 18;
            line(svg, LEFT + 12, ly - 4, LEFT + 36, ly - 4, COLOURS[s], 3);
            text(svg, LEFT + 42, ly, "start", "", sides[s].label() + ": p50 " + Format.millis(l.percentileNanos(50))
                    + ", p99 " + Format.millis(l.percentileNanos(99)) + ", " + String.format(Locale.ROOT, "%,d", l.count())
                    + " operations");
        }
        return svg.append("</svg>\n").toString();
    }

    /** Latency in ms at POINTS + 1 evenly spaced x positions from 0 to {@code xMax}. */
    static double[] series(LatencySample sample, double xMax) {
        double[] ys = new double[POINTS + 1];
        for (int i = 0; i <= POINTS; i++) {
            double x = xMax * i / POINTS;
            double percentile = Math.min(100, 100 * (1 - Math.pow(10, -x)));
            ys[i] = sample.percentileNanos(percentile) / 1e6;
        }
        return ys;
    }

    /** A grid value with as many decimals as the step needs: {@code 25}, {@code 0.5}, {@code 0.02}. */
    static String tick(double value, double step) {
        int decimals = step >= 1 ? 0 : (int) Math.ceil(-Math.log10(step) - 1e-9);
        return String.format(Locale.ROOT, "%." + decimals + "f", value);
    }

    /** 1, 2 or 5 times a power of ten, at least {@code rough}. */
    static double niceStep(double rough) {
        if (!(rough > 0)) {
            return 1;
        }
        double power = Math.pow(10, Math.floor(Math.log10(rough)));
        for (double m : new double[] {1, 2, 5, 10}) {
            if (m * power >= rough) {
                return m * power;
            }
        }
        return 10 * power;
    }

    private static void line(StringBuilder svg, double x1, double y1, double x2, double y2, String colour) {
        line(svg, x1, y1, x2, y2, colour, 1);
    }

    private static void line(StringBuilder svg, double x1, double y1, double x2, double y2, String colour, int width) {
        svg.append(String.format(Locale.ROOT,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"%d\"/>%n",
                x1, y1, x2, y2, colour, width));
    }

    private static void text(StringBuilder svg, double x, double y, String anchor, String attributes, String text) {
        svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" %s>%s</text>%n",
                x, y, anchor, attributes, escape(text)));
    }

    static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
