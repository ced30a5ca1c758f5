package dev.cqrs.reliability.faults;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * What an operator of the deployment would see, recorded as the suite goes: each process's readiness
 * ({@code /health/ready}: its changes, with the detail of the check that failed), its metrics
 * ({@code /metrics}: which relay leads, relay lag and errors, projection lag) and the WARN and ERROR lines
 * of its log. {@link #summary} tells, for a stretch of time, what of it an operator would have noticed.
 */
final class OperatorView {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern LOG_LINE = Pattern.compile("^(\\d\\d:\\d\\d:\\d\\d\\.\\d{3}) (WARN|ERROR) +\\[[^]]*] (\\S+) - (.*)$");
    private static final Pattern IDS = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\\d+(?:[.,]\\d+)*");

    /** A readiness answer that differs from the process's previous one. */
    record Readiness(long atMillis, String process, String status, String detail) {
    }

    /** A WARN or ERROR line of a process's log. */
    record LogLine(long atMillis, String process, String level, String logger, String message) {
        String pattern() {
            String text = IDS.matcher(message).replaceAll("#");
            return level + " " + logger + " - " + (text.length() > 150 ? text.substring(0, 150) + "..." : text);
        }
    }

    /** One look at the metrics of the relays and projectors. */
    record Metrics(long atMillis, Optional<String> leader, OptionalDouble relayLag, OptionalDouble projectionLag,
                   Map<String, Double> relayErrors) {
    }

    private final List<ServiceProcess> processes;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    private final Map<String, Readiness> lastReadiness = new ConcurrentHashMap<>();
    private final List<Readiness> readiness = new CopyOnWriteArrayList<>();
    private final List<LogLine> logLines = new CopyOnWriteArrayList<>();
    private final List<Metrics> metrics = new CopyOnWriteArrayList<>();
    private final Map<String, Long> logOffsets = new HashMap<>();

    OperatorView(List<ServiceProcess> processes) {
        this.processes = List.copyOf(processes);
    }

    /** Asks every process for its readiness, in parallel, and notes the answers that changed. */
    void lookAtHealth() throws InterruptedException {
        List<Thread> askers = new ArrayList<>();
        for (ServiceProcess process : processes) {
            askers.add(Thread.ofVirtual().start(() -> noteReadiness(process, ready(process))));
        }
        for (Thread asker : askers) {
            asker.join(6_000);
        }
    }

    private void noteReadiness(ServiceProcess process, Readiness now) {
        Readiness before = lastReadiness.get(process.name());
        if (before == null || !before.status().equals(now.status()) || !before.detail().equals(now.detail())) {
            lastReadiness.put(process.name(), now);
            readiness.add(now);
        }
    }

    private Readiness ready(ServiceProcess process) {
        long now = System.currentTimeMillis();
        if (process.isPaused()) {
            return new Readiness(now, process.name(), "NO ANSWER", "paused");
        }
        if (!process.isAlive()) {
            return new Readiness(now, process.name(), "NO ANSWER", "not running");
        }
        Optional<String> body = get(process, "/health/ready");
        if (body.isEmpty()) {
            return new Readiness(now, process.name(), "NO ANSWER", "no answer within 5 s");
        }
        try {
            JsonNode ready = JSON.readTree(body.get());
            String status = ready.path("status").asText("?");
            List<String> down = new ArrayList<>();
            ready.path("checks").fields().forEachRemaining(check -> {
                if (!"UP".equals(check.getValue().path("status").asText())) {
                    down.add(check.getKey() + ": " + check.getValue().path("detail").asText());
                }
            });
            return new Readiness(now, process.name(), status, String.join("; ", down));
        } catch (IOException e) {
            return new Readiness(now, process.name(), "NO ANSWER", "unreadable answer");
        }
    }

    /** Scrapes the relays' and projectors' metrics once. */
    void lookAtMetrics() throws InterruptedException {
        Map<String, Map<String, Double>> scraped = new ConcurrentHashMap<>();
        List<Thread> scrapers = new ArrayList<>();
        for (ServiceProcess process : processes) {
            if (!process.role().equals("api") && process.isAlive() && !process.isPaused()) {
                scrapers.add(Thread.ofVirtual().start(() -> get(process, "/metrics").ifPresent(text -> scraped.put(process.name(), parse(text)))));
            }
        }
        for (Thread scraper : scrapers) {
            scraper.join(6_000);
        }
        Optional<String> leader = Optional.empty();
        OptionalDouble relayLag = OptionalDouble.empty();
        OptionalDouble projectionLag = OptionalDouble.empty();
        Map<String, Double> errors = new HashMap<>();
        for (Map.Entry<String, Map<String, Double>> entry : scraped.entrySet()) {
            Map<String, Double> values = entry.getValue();
            if (values.getOrDefault("cqrs_relay_leader", 0.0) == 1.0) {
                leader = Optional.of(entry.getKey());
                Double lag = values.get("cqrs_relay_lag_events");
                if (lag != null && !lag.isNaN()) {
                    relayLag = OptionalDouble.of(lag);
                }
            }
            if (values.containsKey("cqrs_relay_errors_total")) {
                errors.put(entry.getKey(), values.get("cqrs_relay_errors_total"));
            }
            for (Map.Entry<String, Double> value : values.entrySet()) {
                if (value.getKey().startsWith("cqrs_projection_lag_records{") && value.getKey().contains("\"todo_list\"")
                        && !value.getValue().isNaN()) {
                    projectionLag = OptionalDouble.of(Math.max(value.getValue(), projectionLag.orElse(0)));
                }
            }
        }
        metrics.add(new Metrics(System.currentTimeMillis(), leader, relayLag, projectionLag, errors));
    }

    /** The relay leading now, as its metrics say. */
    Optional<String> leader() {
        return metrics.isEmpty() ? Optional.empty() : metrics.getLast().leader();
    }

    /** Reads the lines the processes' logs gained, keeping the WARN and ERROR ones. */
    void readLogs() {
        for (ServiceProcess process : processes) {
            if (!Files.exists(process.log())) {
                continue;
            }
            long offset = logOffsets.getOrDefault(process.name(), 0L);
            try (RandomAccessFile file = new RandomAccessFile(process.log().toFile(), "r")) {
                long length = file.length();
                if (length <= offset) {
                    continue;
                }
                byte[] bytes = new byte[(int) Math.min(length - offset, 16 << 20)];
                file.seek(offset);
                file.readFully(bytes);
                String text = new String(bytes, StandardCharsets.UTF_8);
                int end = text.lastIndexOf('\n');
                if (end < 0) {
                    continue;
                }
                logOffsets.put(process.name(), offset + text.substring(0, end + 1).getBytes(StandardCharsets.UTF_8).length);
                for (String line : text.substring(0, end).split("\n")) {
                    Matcher m = LOG_LINE.matcher(line);
                    if (m.matches()) {
                        logLines.add(new LogLine(millisOf(m.group(1)), process.name(), m.group(2), m.group(3), m.group(4)));
                    }
                }
            } catch (IOException e) {
                // the next look reads it
            }
        }
    }

    /** Today's (or, just after midnight, yesterday's) time of day as epoch millis. */
    private static long millisOf(String timeOfDay) {
        ZoneId zone = ZoneId.systemDefault();
        long millis = LocalTime.parse(timeOfDay).atDate(LocalDate.now(zone)).atZone(zone).toInstant().toEpochMilli();
        return millis > System.currentTimeMillis() + 3_600_000 ? millis - 86_400_000 : millis;
    }

    List<LogLine> logLines() {
        return List.copyOf(logLines);
    }

    List<Metrics> metrics() {
        return List.copyOf(metrics);
    }

    /** What an operator would have seen from {@code fromMillis} to {@code toMillis}: health, metrics, logs. */
    Summary summary(long fromMillis, long toMillis) {
        // Health: every process whose readiness was not UP at some point of the stretch, and why.
        Map<String, List<String>> notUp = new LinkedHashMap<>();
        for (ServiceProcess process : processes) {
            Readiness atStart = null;
            List<Readiness> during = new ArrayList<>();
            for (Readiness r : readiness) {
                if (!r.process().equals(process.name())) {
                    continue;
                }
                if (r.atMillis() <= fromMillis) {
                    atStart = r;
                } else if (r.atMillis() <= toMillis) {
                    during.add(r);
                }
            }
            if (atStart != null) {
                during.addFirst(atStart);
            }
            for (Readiness r : during) {
                if (!r.status().equals("UP")) {
                    String what = r.status() + (r.detail().isEmpty() ? "" : " (" + r.detail() + ")");
                    List<String> seen = notUp.computeIfAbsent(process.name(), p -> new ArrayList<>());
                    if (!seen.contains(what)) {
                        seen.add(what);
                    }
                }
            }
        }
        // Metrics: the leaders, the largest lags, the relays' errors.
        List<String> leaders = new ArrayList<>();
        double relayLag = 0;
        double projectionLag = 0;
        Map<String, Double> errorsAtStart = new HashMap<>();
        Map<String, Double> errorsAdded = new HashMap<>();
        for (Metrics m : metrics) {
            if (m.atMillis() < fromMillis - 3_000) {
                m.relayErrors().forEach(errorsAtStart::put);
                continue;
            }
            if (m.atMillis() > toMillis) {
                break;
            }
            String leader = m.leader().orElse("none");
            if (leaders.isEmpty() || !leaders.getLast().equals(leader)) {
                leaders.add(leader);
            }
            relayLag = Math.max(relayLag, m.relayLag().orElse(0));
            projectionLag = Math.max(projectionLag, m.projectionLag().orElse(0));
            m.relayErrors().forEach((relay, count) -> {
                double base = errorsAtStart.getOrDefault(relay, 0.0);
                if (count < base) {
                    base = 0; // the process restarted: its counter did too
                    errorsAtStart.put(relay, 0.0);
                }
                errorsAdded.merge(relay, count - base, Math::max);
            });
        }
        long errors = Math.round(errorsAdded.values().stream().mapToDouble(Double::doubleValue).sum());
        // Logs: WARN and ERROR lines by pattern.
        Map<String, Integer> patterns = new LinkedHashMap<>();
        Map<String, java.util.Set<String>> patternProcesses = new HashMap<>();
        int warns = 0;
        int errorLines = 0;
        for (LogLine line : logLines) {
            if (line.atMillis() < fromMillis || line.atMillis() > toMillis) {
                continue;
            }
            if (line.level().equals("WARN")) {
                warns++;
            } else {
                errorLines++;
            }
            patterns.merge(line.pattern(), 1, Integer::sum);
            patternProcesses.computeIfAbsent(line.pattern(), p -> new java.util.TreeSet<>()).add(line.process());
        }
        List<String> topLines = patterns.entrySet().stream()
                .sorted((a, b) -> b.getValue() - a.getValue())
                .limit(4)
                .map(e -> e.getValue() + "x " + String.join(",", patternProcesses.get(e.getKey())) + ": " + e.getKey())
                .collect(Collectors.toList());
        return new Summary(notUp, leaders, relayLag, projectionLag, errors, warns, errorLines, topLines);
    }

    /**
     * What an operator saw in a stretch of time.
     *
     * @param notUp        per process, the readiness answers other than UP
     * @param leaders      the relay leaders in turn ("none" while none answered as leader)
     * @param relayLag     the largest relay lag reported (events)
     * @param projectionLag the largest projection lag reported (records)
     * @param relayErrors  failures the relays counted
     * @param warnLines    WARN lines logged
     * @param errorLines   ERROR lines logged
     * @param topLines     the most frequent log lines (ids and numbers as #), with counts and processes
     */
    record Summary(Map<String, List<String>> notUp, List<String> leaders, double relayLag, double projectionLag,
                   long relayErrors, int warnLines, int errorLines, List<String> topLines) {

        /** One line for a table. */
        String brief() {
            String health = notUp.isEmpty() ? "all ready" : notUp.entrySet().stream()
                    .map(e -> e.getKey() + " " + e.getValue().stream().map(s -> s.replaceAll(" \\(.*", "")).distinct()
                            .collect(Collectors.joining("/")))
                    .collect(Collectors.joining(", "));
            return "health: " + health + "; leader " + String.join(" > ", leaders) + ", relay lag max " + Math.round(relayLag)
                    + ", projection lag max " + Math.round(projectionLag) + ", relay errors +" + relayErrors
                    + "; log: " + warnLines + " WARN, " + errorLines + " ERROR";
        }
    }

    private Optional<String> get(ServiceProcess process, String path) {
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(process.url().resolve(path))
                    .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
            return Optional.of(response.body());
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /** Prometheus text: {@code name{labels} value} per line, comments left out. */
    static Map<String, Double> parse(String exposition) {
        Map<String, Double> values = new HashMap<>();
        for (Iterator<String> lines = exposition.lines().iterator(); lines.hasNext(); ) {
            String line = lines.next();
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int space = line.lastIndexOf(' ');
            if (space > 0) {
                try {
                    values.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
                } catch (NumberFormatException e) {
                    // not a sample
                }
            }
        }
        return values;
    }
}
