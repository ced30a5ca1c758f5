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
                .projection(ProjectorTestSupport.counterProjection(System.getProperty("topic"), e -> { }))
                .start();
        while (true) {
            System.out.println("processed " + projector.processedHere("counters"));
            Thread.sleep(100);
        }
    }
}
