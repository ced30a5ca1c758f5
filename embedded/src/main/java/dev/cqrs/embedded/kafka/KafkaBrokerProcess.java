package dev.cqrs.embedded.kafka;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The same single-node KRaft broker as {@link KafkaBroker}, run as a separate JVM
 * ({@code java -cp <this JVM's class path> kafka.Kafka server.properties}) so that a test can kill
 * it with SIGKILL and start it again on the same data directory and port.
 *
 * <p>The child JVM's standard output and error are appended to {@code broker.log} in the data
 * directory. A shutdown hook stops the child when this JVM exits normally; a child whose parent
 * was killed keeps running and must be stopped by hand.
 *
 * <pre>{@code
 * try (KafkaBrokerProcess broker = KafkaBrokerProcess.start(tempDir)) {
 *     ... produce with acks=all ...
 *     broker.kill();     // SIGKILL, no shutdown of any kind
 *     broker.restart();  // log recovery, same port
 *     ... consume ...
 * }
 * }</pre>
 */
public final class KafkaBrokerProcess implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaBrokerProcess.class);
    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration SHUTDOWN_TIMEOUT = Duration.ofSeconds(30);

    private final BrokerDirectory directory;
    private Process process; // guarded by this; null while stopped

    private KafkaBrokerProcess(BrokerDirectory directory) {
        this.directory = directory;
    }

    /**
     * Starts a broker JVM on {@code dataDirectory}, formatting it on first use (a directory
     * formatted before keeps its data and ports), and blocks until the broker serves clients.
     *
     * @throws IllegalStateException when it does not start in time (the message has the log's tail)
     */
    public static KafkaBrokerProcess start(Path dataDirectory) {
        var broker = new KafkaBrokerProcess(BrokerDirectory.prepare(dataDirectory, 0));
        Runtime.getRuntime().addShutdownHook(new Thread(broker::stopQuietly, "cqrs-kafka-process-shutdown"));
        broker.launch();
        return broker;
    }

    /** The {@code bootstrap.servers} value for clients; the same after {@link #restart()}. */
    public String bootstrapServers() {
        return directory.bootstrapServers();
    }

    /** The data directory: {@code server.properties}, {@code kafka-logs/} and {@code broker.log}. */
    public Path dataDirectory() {
        return directory.root();
    }

    /** Whether the broker's JVM is running. */
    public synchronized boolean isAlive() {
        return process != null && process.isAlive();
    }

    /** Creates a topic with one replica and waits until it exists. */
    public void createTopic(String name, int partitions) {
        Topics.create(bootstrapServers(), name, partitions);
    }

    /**
     * SIGKILLs the broker's JVM and waits until it is dead: no shutdown hook, no flush, no
     * controlled shutdown. What the broker had written survives in the OS page cache.
     */
    public synchronized void kill() {
        if (process == null) {
            throw new IllegalStateException("the Kafka broker process at " + bootstrapServers() + " is not running");
        }
        long pid = process.pid();
        process.destroyForcibly();
        awaitExit(Duration.ofSeconds(10));
        LOG.info("Kafka broker process {} at {} killed with SIGKILL", pid, bootstrapServers());
    }

    /**
     * Starts the broker again on the same data directory and ports (stopping it first if it
     * runs) and blocks until it serves clients, which includes recovering its logs after a kill.
     */
    public synchronized void restart() {
        stop();
        launch();
    }

    /**
     * Stops the broker gracefully (SIGTERM: a controlled shutdown that flushes its logs), or with
     * SIGKILL if it takes more than 30 s. Does nothing when it is not running. The data directory
     * stays.
     */
    public synchronized void stop() {
        if (process == null) {
            return;
        }
        long started = System.nanoTime();
        process.destroy();
        try {
            if (!process.waitFor(SHUTDOWN_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                LOG.warn("Kafka broker process {} did not stop within {} s; killing it", process.pid(),
                        SHUTDOWN_TIMEOUT.toSeconds());
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        awaitExit(Duration.ofSeconds(10));
        LOG.info("Kafka broker process at {} stopped in {} s", bootstrapServers(),
                InProcessKafkaBroker.seconds(System.nanoTime() - started));
    }

    /** Same as {@link #stop()}. */
    @Override
    public void close() {
        stop();
    }

    @Override
    public String toString() {
        return "Kafka broker process at " + bootstrapServers() + " in " + dataDirectory();
    }

    private synchronized void launch() {
        long started = System.nanoTime();
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> command = List.of(java, "-Xms128m", "-Xmx1g",
                "-cp", System.getProperty("java.class.path"),
                "kafka.Kafka", directory.propertiesFile().toString());
        try {
            process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(Redirect.appendTo(directory.logFile().toFile()))
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("could not start " + command, e);
        }
        Process launched = process;
        try {
            Topics.awaitReady(bootstrapServers(), STARTUP_TIMEOUT, launched::isAlive,
                    () -> "Last lines of " + directory.logFile() + ":\n" + logTail(40));
        } catch (RuntimeException e) {
            launched.destroyForcibly();
            process = null;
            throw e;
        }
        LOG.info("Kafka broker process {} (KRaft, separate JVM) ready in {} s at {} (data directory {})",
                launched.pid(), InProcessKafkaBroker.seconds(System.nanoTime() - started), bootstrapServers(),
                dataDirectory());
    }

    private void awaitExit(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException("Kafka broker process " + process.pid() + " is still alive after "
                        + timeout.toSeconds() + " s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the Kafka broker process to exit", e);
        } finally {
            if (!process.isAlive()) {
                process = null;
            }
        }
    }

    private void stopQuietly() {
        try {
            stop();
        } catch (RuntimeException e) {
            LOG.warn("could not stop {} at JVM exit", this, e);
        }
    }

    private String logTail(int lines) {
        try {
            List<String> all = Files.readAllLines(directory.logFile(), StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }
}
