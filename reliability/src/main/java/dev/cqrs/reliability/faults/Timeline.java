package dev.cqrs.reliability.faults;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.ToDoubleFunction;

/**
 * The run second by second: throughput (commands acknowledged, events stored and applied to the read model)
 * and lag (events the read model is behind the store; how long the oldest unseen probe write has waited),
 * with the injections marked. Written as CSV for tools and as an SVG plot for people.
 */
final class Timeline {

    /**
     * One look, about a second after the one before.
     *
     * @param storeEvents events in the store, or -1 when it did not answer
     * @param applied     events the to-do read model reflects (the sum of its rows' versions), or -1
     */
    record Sample(long atMillis, long acknowledged, long storeEvents, long applied, long stalenessMillis) {
    }

    /** A fault as the plot marks it: from injection to its end (healed), and when the pipeline moved again. */
    record Mark(int kind, String label, long fromMillis, long healedMillis, long recoveredMillis) {
    }

    private final long startMillis;
    private final List<Sample> samples = new CopyOnWriteArrayList<>();

    Timeline(long startMillis) {
        this.startMillis = startMillis;
    }

    void add(Sample sample) {
        samples.add(sample);
    }

    List<Sample> samples() {
        return List.copyOf(samples);
    }

    void writeCsv(Path file) throws IOException {
        StringBuilder csv = new StringBuilder("seconds,commands_acknowledged,store_events,read_model_events,staleness_ms\n");
        for (Sample s : samples) {
            csv.append(String.format(Locale.ROOT, "%.1f,%d,%d,%d,%d%n", (s.atMillis() - startMillis) / 1000.0, s.acknowledged(),
                    s.storeEvents(), s.applied(), s.stalenessMillis()));
        }
        Files.writeString(file, csv);
    }

    /** The plot: three panels over the run's time, the faults as shaded bands numbered by kind. */
    void writeSvg(Path file, List<Mark> marks, String title) throws IOException {
        List<double[]> rates = rates();
        double seconds = samples.isEmpty() ? 1 : Math.max(1, (samples.getLast().atMillis() - startMillis) / 1000.0);
        int width = 1400;
        int left = 70;
        int right = 20;
        int plotWidth = width - left - right;
        int panelHeight = 170;
        int gap = 45;
        int top = 60;
        int height = top + 3 * (panelHeight + gap) + 20;
        StringBuilder svg = new StringBuilder();
        svg.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\""
                + " font-family=\"sans-serif\" font-size=\"12\">%n", width, height, width, height));
        svg.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"24\" font-size=\"16\" font-weight=\"bold\">%s</text>%n", left, escape(title)));
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"44\" fill=\"#555\">shaded: a fault from injection to its end;"
                + " dashed line: the pipeline moving again on every partition; the number is the fault kind</text>%n", left));
        String[] titles = {"throughput (per second)", "read model behind the store (events)", "oldest acknowledged probe write not yet"
                + " in the read model (seconds)"};
        for (int panel = 0; panel < 3; panel++) {
            int y0 = top + panel * (panelHeight + gap) + 20;
            svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-weight=\"bold\">%s</text>%n", left, y0 - 6, titles[panel]));
            svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#999\"/>%n",
                    left, y0, plotWidth, panelHeight));
            for (Mark mark : marks) {
                double x1 = left + plotWidth * ((mark.fromMillis() - startMillis) / 1000.0) / seconds;
                double x2 = left + plotWidth * ((Math.max(mark.healedMillis(), mark.fromMillis() + 500) - startMillis) / 1000.0) / seconds;
                svg.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\" opacity=\"0.25\">"
                        + "<title>%s</title></rect>%n", x1, y0, Math.max(1.5, x2 - x1), panelHeight, color(mark.kind()), escape(mark.label())));
                if (mark.recoveredMillis() > 0) {
                    double xr = left + plotWidth * ((mark.recoveredMillis() - startMillis) / 1000.0) / seconds;
                    svg.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\""
                            + " stroke-dasharray=\"3,3\"/>%n", xr, y0, xr, y0 + panelHeight, color(mark.kind())));
                }
                if (panel == 0) {
                    svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" fill=\"%s\">%d</text>%n",
                            x1, y0 + 11, color(mark.kind()), mark.kind()));
                }
            }
            List<Series> series = switch (panel) {
                case 0 -> List.of(new Series("commands acknowledged", "#1f77b4", r -> r[1]),
                        new Series("events applied to the read model", "#2ca02c", r -> r[3]));
                case 1 -> List.of(new Series("store events - read model events", "#d62728", r -> r[4]));
                default -> List.of(new Series("probe staleness", "#9467bd", r -> r[5]));
            };
            double max = 1;
            for (double[] r : rates) {
                for (Series s : series) {
                    double v = s.value().applyAsDouble(r);
                    if (!Double.isNaN(v)) {
                        max = Math.max(max, v);
                    }
                }
            }
            max = niceCeiling(max);
            for (int tick = 0; tick <= 4; tick++) {
                double value = max * tick / 4;
                double y = y0 + panelHeight - panelHeight * tick / 4.0;
                svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#eee\"/>%n",
                        left, y, left + plotWidth, y));
                svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" fill=\"#555\">%s</text>%n",
                        left - 6, y + 4, format(value)));
            }
            int legendX = left + plotWidth - 10;
            for (int i = series.size() - 1; i >= 0; i--) {
                Series s = series.get(i);
                svg.append(polyline(rates, s, left, y0, plotWidth, panelHeight, seconds, max));
                svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" fill=\"%s\">%s</text>%n",
                        legendX, y0 - 6, s.color(), escape(s.name())));
                legendX -= 8 * s.name().length() + 20;
            }
            for (int minute = 0; minute <= seconds / 60; minute += seconds > 1200 ? 2 : 1) {
                double x = left + plotWidth * (minute * 60) / seconds;
                svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"#555\">%d min</text>%n",
                        x, y0 + panelHeight + 14, minute));
            }
        }
        svg.append("</svg>\n");
        Files.writeString(file, svg);
    }

    private record Series(String name, String color, ToDoubleFunction<double[]> value) {
    }

    /** Per sample: seconds, acknowledged/s, stored/s, applied/s, events behind, staleness s (NaN where unknown). */
    private List<double[]> rates() {
        List<double[]> rates = new ArrayList<>();
        Sample previous = null;
        for (Sample s : samples) {
            double t = (s.atMillis() - startMillis) / 1000.0;
            double stored = Double.NaN;
            double applied = Double.NaN;
            if (previous != null) {
                double dt = Math.max(0.1, (s.atMillis() - previous.atMillis()) / 1000.0);
                if (s.storeEvents() >= 0 && previous.storeEvents() >= 0) {
                    stored = Math.max(0, (s.storeEvents() - previous.storeEvents()) / dt);
                }
                if (s.applied() >= 0 && previous.applied() >= 0) {
                    applied = Math.max(0, (s.applied() - previous.applied()) / dt);
                }
            }
            double behind = s.storeEvents() >= 0 && s.applied() >= 0 ? Math.max(0, s.storeEvents() - s.applied()) : Double.NaN;
            rates.add(new double[] {t, s.acknowledged(), stored, applied, behind, s.stalenessMillis() / 1000.0});
            previous = s;
        }
        return rates;
    }

    private static String polyline(List<double[]> rates, Series series, int left, int y0, int plotWidth, int panelHeight,
                                   double seconds, double max) {
        StringBuilder out = new StringBuilder();
        StringBuilder points = new StringBuilder();
        for (double[] r : rates) {
            double v = series.value().applyAsDouble(r);
            if (Double.isNaN(v)) {
                flush(out, points, series.color());
                continue;
            }
            double x = left + plotWidth * r[0] / seconds;
            double y = y0 + panelHeight - panelHeight * Math.min(v, max) / max;
            points.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
        }
        flush(out, points, series.color());
        return out.toString();
    }

    private static void flush(StringBuilder out, StringBuilder points, String color) {
        if (!points.isEmpty()) {
            out.append(String.format(Locale.ROOT, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.2\" points=\"%s\"/>%n",
                    color, points.toString().strip()));
            points.setLength(0);
        }
    }

    private static double niceCeiling(double value) {
        double magnitude = Math.pow(10, Math.floor(Math.log10(value)));
        for (double step : new double[] {1, 2, 2.5, 5, 10}) {
            if (step * magnitude >= value) {
                return step * magnitude;
            }
        }
        return 10 * magnitude;
    }

    private static String format(double value) {
        return value >= 10_000 ? String.format(Locale.ROOT, "%,.0f", value) : value == Math.rint(value)
                ? String.format(Locale.ROOT, "%.0f", value) : String.format(Locale.ROOT, "%.1f", value);
    }

    private static String color(int kind) {
        String[] colors = {"#e6194b", "#f58231", "#b8860b", "#3cb44b", "#42d4f4", "#4363d8", "#911eb4", "#f032e6", "#800000"};
        return colors[(kind - 1) % colors.length];
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
