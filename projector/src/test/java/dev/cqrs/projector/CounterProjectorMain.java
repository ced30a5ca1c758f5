package dev.cqrs.projector;

import java.util.HashMap;
import java.util.Map;

/**
 * The counter projection as a process of its own, for the crash test: settings come as system
 * properties (the keys of {@link ProjectorConfig}) plus {@code topic}. It prints how many events it has
 * processed every 100 ms, so the test knows it was working when it killed it.
 */
public final class CounterProjectorMain {

    private CounterProjectorMain() {
    }

    /** The name of a rename that stops this process at once, as a crash would, once its cue has come. */
    static final String HALT = "halt-after-cue";

    /**
     * With {@code -Dhalt.after.position=P}: a rename to {@link #HALT} halts the process (exit code 3, no
     * shutdown, no commit) when some partition of generation 1 has already passed position P in PostgreSQL.
     * Handlers run as records are processed, before their batch is written: so this halts between a write
     * to PostgreSQL that passed P and the Kafka commit that would follow it.
     */
    private static java.util.function.Consumer<dev.cqrs.core.contract.ContractEvent.Renamed> haltOnCue(Map<String, Object> settings) {
        String cue = System.getProperty("halt.after.position");
        if (cue == null) {
            return e -> { };
        }
        long position = Long.parseLong(cue);
        return e -> {
            if (!e.name().equals(HALT)) {
                return;
            }
            try (var c = java.sql.DriverManager.getConnection((String) settings.get(ProjectorConfig.READ_MODEL_URL),
                    (String) settings.get(ProjectorConfig.READ_MODEL_USER), (String) settings.getOrDefault(ProjectorConfig.READ_MODEL_PASSWORD, ""));
                 var s = c.createStatement();
                 var rs = s.executeQuery("SELECT coalesce(max(position), 0) FROM counters_g1.cqrs_positions")) {
                rs.next();
                if (rs.getLong(1) >= position) {
                    System.out.println("halting: position " + position + " is written");
                    System.out.flush();
                    Runtime.getRuntime().halt(3);
                }
            } catch (java.sql.SQLException ignored) {
                // no cue yet
            }
        };
    }

    public static void main(String[] args) throws InterruptedException {
        Map<String, Object> settings = new HashMap<>();
        System.getProperties().forEach((key, value) -> {
            String name = key.toString();
            if (name.startsWith("projector.") || name.startsWith("streams.") || name.equals("bootstrap.servers")) {
                settings.put(name, value);
            }
        });
        // What each write to PostgreSQL covered: the crash test prints it when the read model differs.
        ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(ReadModelStore.class))
                .setLevel(ch.qos.logback.classic.Level.DEBUG);
        Projector projector = Projector.builder(new ProjectorConfig(settings))
                .projection(ProjectorTestSupport.counterProjection(System.getProperty("topic"), haltOnCue(settings)))
                .start();
        while (true) {
            System.out.println("processed " + projector.processedHere("counters") + " skipped " + projector.skippedHere("counters"));
            Thread.sleep(100);
        }
    }
}
