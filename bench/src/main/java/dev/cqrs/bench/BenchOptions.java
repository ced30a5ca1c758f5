package dev.cqrs.bench;

import dev.cqrs.bench.scenario.Scenario;
import dev.cqrs.bench.scenario.Scenarios;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The options of {@code ./cqrs bench}, each declared once here with its default, checked when parsed.
 *
 * @param scale     multiplies every scenario's sizes and durations; {@code 0.1} for a quick run
 * @param scenarios the scenarios to run, in registry order
 * @param rounds    rounds per comparison; the median is quoted
 * @param clients   concurrent clients of the multi-client scenarios
 * @param out       where the report, the JSON and the plots go
 * @param events    the size of the backlogs of {@code relay} and {@code replay}, whatever the scale;
 *                  empty to scale their defaults
 */
public record BenchOptions(double scale, List<Scenario> scenarios, int rounds, int clients, Path out,
                           OptionalInt events) {

    public static final double DEFAULT_SCALE = 1.0;
    public static final int DEFAULT_ROUNDS = 5;
    public static final int DEFAULT_CLIENTS = 8;

    public static final String USAGE = """
            usage: ./cqrs bench [--scale S] [--scenarios a,b,...] [--rounds N] [--clients N] [--events N] [--out DIR]

              --scale S          multiply every scenario's sizes and durations by S (default 1.0;
                                 0.1 for a quick check). The default run takes about 9 minutes on 2 cores.
              --scenarios LIST   comma-separated, from: %s (default: all)
              --rounds N         rounds per comparison, ours and the baseline alternating (default 5)
              --clients N        concurrent clients of the multi-client scenarios (default 8)
              --events N         events in the backlogs of relay and replay, whatever the scale
                                 (default 100,000 times the scale; issue 8's full size is 1000000)
              --out DIR          where report.txt, results.json and the SVG plots go
                                 (default bench/results/<date>T<time> in the repository)

            PostgreSQL: an embedded PostgreSQL 17 of the bench's own, fsync and synchronous_commit on;
            or the server of CQRS_DB_URL (with CQRS_DB_USER, CQRS_DB_PASSWORD) when that is set.
            Kafka (relay, endtoend, replay): a single-node broker in the bench's JVM, started when first
            needed; or the cluster of CQRS_KAFKA_BOOTSTRAP when that is set.
            """.formatted(String.join(", ", Scenarios.all().stream().map(Scenario::name).toList()));

    /** Thrown for a command line that cannot be run; the message says what is wrong. */
    public static final class UsageException extends Exception {
        public UsageException(String message) {
            super(message);
        }
    }

    /**
     * @param home the repository, under which the default output directory goes
     * @return the options, or empty when help was asked for
     */
    public static Optional<BenchOptions> parse(List<String> args, Path home, LocalDateTime now) throws UsageException {
        double scale = DEFAULT_SCALE;
        List<Scenario> scenarios = Scenarios.all();
        int rounds = DEFAULT_ROUNDS;
        int clients = DEFAULT_CLIENTS;
        OptionalInt events = OptionalInt.empty();
        Path out = home.resolve("bench").resolve("results")
                .resolve(now.format(DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH-mm-ss")));
        for (int i = 0; i < args.size(); i++) {
            String option = args.get(i);
            if (option.equals("--help") || option.equals("-h") || option.equals("help")) {
                return Optional.empty();
            }
            if (!List.of("--scale", "--scenarios", "--rounds", "--clients", "--events", "--out").contains(option)) {
                throw new UsageException("unknown option '" + option + "'");
            }
            if (i + 1 >= args.size()) {
                throw new UsageException(option + " needs a value");
            }
            String value = args.get(++i);
            switch (option) {
                case "--scale" -> {
                    scale = number(option, value);
                    if (!(scale > 0 && scale <= 10)) {
                        throw new UsageException("--scale must be above 0 and at most 10, was " + value);
                    }
                }
                case "--scenarios" -> {
                    try {
                        scenarios = Scenarios.named(Arrays.stream(value.split(","))
                                .map(String::strip).filter(s -> !s.isEmpty()).toList());
                    } catch (IllegalArgumentException e) {
                        throw new UsageException(e.getMessage());
                    }
                    if (scenarios.isEmpty()) {
                        throw new UsageException("--scenarios names no scenario");
                    }
                }
                case "--rounds" -> rounds = count(option, value, 1, 100);
                case "--clients" -> clients = count(option, value, 1, 256);
                case "--events" -> events = OptionalInt.of(count(option, value, 1_000, 10_000_000));
                default -> out = Path.of(value);
            }
        }
        return Optional.of(new BenchOptions(scale, scenarios, rounds, clients, out, events));
    }

    private static double number(String option, String value) throws UsageException {
        try {
            return Double.parseDouble(value);
        } catch (NumberFormatException e) {
            throw new UsageException(option + " takes a number, was '" + value + "'");
        }
    }

    private static int count(String option, String value, int min, int max) throws UsageException {
        try {
            int n = Integer.parseInt(value);
            if (n < min || n > max) {
                throw new UsageException(option + " must be from " + min + " to " + max + ", was " + n);
            }
            return n;
        } catch (NumberFormatException e) {
            throw new UsageException(option + " takes a whole number, was '" + value + "'");
        }
    }
}
