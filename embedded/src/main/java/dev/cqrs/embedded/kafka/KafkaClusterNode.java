package dev.cqrs.embedded.kafka;

import dev.cqrs.embedded.process.ProcessSignals;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Node;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node of a {@link KafkaCluster}: a KRaft broker and controller voter in a JVM of its own
 * ({@code java -cp <this JVM's class path> kafka.Kafka server.properties}), which a test can SIGKILL,
 * pause with SIGSTOP and start again on its data.
 *
 * <p>The JVM's output is appended to {@code node-<id>/broker.log}; its pid is kept in
 * {@code node-<id>/broker.pid}, so that a node orphaned by a killed parent JVM is killed before the
 * node starts again on the same data.
 */
public final class KafkaClusterNode {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaClusterNode.class);
    static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(120);
    private static final Duration SHUTDOWN_TIMEOUT = Duration.ofSeconds(30);

    private final ClusterDirectory directory;
    private final ClusterDirectory.NodePorts ports;
    private Process process; // guarded by this; null while stopped
    private boolean paused; // guarded by this

    KafkaClusterNode(ClusterDirectory directory, ClusterDirectory.NodePorts ports) {
        this.directory = directory;
        this.ports = ports;
    }

    /** The node id (1, 2, 3...): the id in metadata, in partition leaders and in coordinators. */
    public int id() {
        return ports.id();
    }

    /** This node's own PLAINTEXT address; clients use {@link KafkaCluster#bootstrapServers()}. */
    public String bootstrapServer() {
        return ClusterDirectory.HOST + ":" + ports.plaintext();
    }

    /** {@code node-<id>/}: {@code server.properties}, {@code kafka-logs/}, {@code broker.log}. */
    public Path dataDirectory() {
        return directory.nodeDirectory(id());
    }

    /** The node JVM's output. */
    public Path logFile() {
        return directory.logFile(id());
    }

    /** Whether the node's JVM is running (paused counts as running). */
    public synchronized boolean isAlive() {
        return process != null && process.isAlive();
    }

    /** Whether the node is paused by {@link #pause()}. */
    public synchronized boolean isPaused() {
        return paused && isAlive();
    }

    /** The pid of the node's JVM while it runs. */
    public synchronized OptionalLong pid() {
        return isAlive() ? OptionalLong.of(process.pid()) : OptionalLong.empty();
    }

    /**
     * SIGKILLs the node's JVM and waits until it is dead: no controlled shutdown, no flush. The other
     * nodes notice when its session expires (4 s) and elect new leaders for its partitions.
     */
    public synchronized void kill() {
        Process running = requireRunning("kill");
        running.destroyForcibly();
        awaitExit(running, Duration.ofSeconds(10));
        paused = false;
        LOG.info("Kafka cluster node {} (pid {}) killed with SIGKILL", id(), running.pid());
    }

    /**
     * SIGSTOPs the node's JVM: its connections stay open and nothing answers on them; the cluster
     * fences it once its session expires. {@link #resume()} lets it go on.
     */
    public synchronized void pause() {
        Process running = requireRunning("pause");
        ProcessSignals.pause(running.pid());
        paused = true;
        LOG.info("Kafka cluster node {} (pid {}) paused with SIGSTOP", id(), running.pid());
    }

    /** SIGCONTs a node paused by {@link #pause()}. */
    public synchronized void resume() {
        Process running = requireRunning("resume");
        ProcessSignals.resume(running.pid());
        paused = false;
        LOG.info("Kafka cluster node {} (pid {}) resumed with SIGCONT", id(), running.pid());
    }

    /**
     * Starts the node again on its data directory and ports (stopping it first if it runs), and blocks
     * until it serves clients as a registered, unfenced broker, which after a kill includes recovering
     * its logs and waiting out its dead incarnation's session. Its replicas may still be catching up:
     * {@link KafkaCluster#awaitFullyReplicated(Duration)} waits for that.
     */
    public void restart() {
        long started = System.nanoTime();
        synchronized (this) {
            stop();
            launch();
        }
        awaitServing(STARTUP_TIMEOUT);
        LOG.info("Kafka cluster node {} restarted and serving in {} s", id(), InProcessKafkaBroker.seconds(System.nanoTime() - started));
    }

    /**
     * Stops the node gracefully (SIGTERM: a controlled shutdown that moves its leaderships away), or
     * with SIGKILL after 30 s. Does nothing when it is not running. The data stays.
     */
    public synchronized void stop() {
        if (process == null) {
            return;
        }
        Process running = process;
        if (paused) {
            ProcessSignals.resume(running.pid()); // a stopped process cannot handle SIGTERM
            paused = false;
        }
        running.destroy();
        try {
            if (!running.waitFor(SHUTDOWN_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                LOG.warn("Kafka cluster node {} (pid {}) did not stop within {} s; killing it", id(), running.pid(),
                        SHUTDOWN_TIMEOUT.toSeconds());
                running.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running.destroyForcibly();
        }
        awaitExit(running, Duration.ofSeconds(10));
    }

    @Override
    public String toString() {
        return "Kafka cluster node " + id() + " at " + bootstrapServer();
    }

    /** Starts the JVM without waiting for it. */
    synchronized void launch() {
        if (process != null) {
            throw new IllegalStateException(this + " is already running (pid " + process.pid() + ")");
        }
        killOrphan();
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> command = List.of(java, "-Xms64m", "-Xmx512m", "-XX:+UseSerialGC",
                // Three broker JVMs and the tests share two cores: C1 alone compiles far less at start.
                "-XX:TieredStopAtLevel=1",
                "-Dlogback.configurationFile=" + directory.logbackFile(id()),
                "-cp", System.getProperty("java.class.path"),
                "kafka.Kafka", directory.propertiesFile(id()).toString());
        try {
            process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(Redirect.appendTo(logFile().toFile()))
                    .start();
            Files.writeString(pidFile(), Long.toString(process.pid()));
        } catch (IOException e) {
            throw new UncheckedIOException("could not start node " + id() + ": " + command, e);
        }
        LOG.debug("Kafka cluster node {} started as pid {}", id(), process.pid());
    }

    /**
     * Waits until this node answers a describe-cluster request on its own listener and lists itself:
     * it has started, registered with the controller and been unfenced.
     */
    void awaitServing(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Exception last = null;
        awaitListening(deadline);
        try (Admin admin = Admin.create(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServer(),
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000,
                AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 200))) {
            while (System.nanoTime() < deadline) {
                if (!isAlive()) {
                    throw new IllegalStateException(this + " died while starting. Last lines of " + logFile() + ":\n"
                            + logTail(40));
                }
                try {
                    if (admin.describeCluster().nodes().get(2, TimeUnit.SECONDS).stream().map(Node::id).anyMatch(n -> n == id())) {
                        return;
                    }
                } catch (ExecutionException | TimeoutException e) {
                    last = e;
                }
                TimeUnit.MILLISECONDS.sleep(100);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + this, e);
        }
        throw new IllegalStateException(this + " did not serve as a registered broker within " + timeout.toSeconds()
                + " s. Last lines of " + logFile() + ":\n" + logTail(40), last);
    }

    /** Waits until the node's port takes connections, so that the admin client does not warn about refusals meanwhile. */
    private void awaitListening(long deadline) {
        while (System.nanoTime() < deadline && isAlive()) {
            try (var socket = new java.net.Socket()) {
                socket.connect(new java.net.InetSocketAddress(ClusterDirectory.HOST, ports.plaintext()), 1_000);
                return;
            } catch (IOException e) {
                try {
                    TimeUnit.MILLISECONDS.sleep(100);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for " + this, interrupted);
                }
            }
        }
    }

    /** The last {@code lines} lines of the node's log. */
    String logTail(int lines) {
        try {
            List<String> all = Files.readAllLines(logFile(), StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    private Process requireRunning(String what) {
        if (process == null || !process.isAlive()) {
            throw new IllegalStateException("cannot " + what + " " + this + ": it is not running");
        }
        return process;
    }

    private void awaitExit(Process running, Duration timeout) {
        try {
            if (!running.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException(this + " (pid " + running.pid() + ") is still alive after "
                        + timeout.toSeconds() + " s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + this + " to exit", e);
        }
        process = null;
        try {
            Files.deleteIfExists(pidFile());
        } catch (IOException e) {
            LOG.debug("could not delete {}", pidFile(), e);
        }
    }

    /** A node JVM left running by a parent that was killed holds the ports and the data: kill it. */
    private void killOrphan() {
        try {
            if (!Files.exists(pidFile())) {
                return;
            }
            long pid = Long.parseLong(Files.readString(pidFile()).strip());
            String properties = directory.propertiesFile(id()).toString();
            ProcessHandle.of(pid)
                    .filter(orphan -> orphan.info().arguments().map(args -> List.of(args).contains(properties)).orElse(false))
                    .ifPresent(orphan -> {
                        LOG.warn("killing an orphaned JVM of Kafka cluster node {} (pid {})", id(), pid);
                        orphan.destroyForcibly();
                        try {
                            orphan.onExit().get(10, TimeUnit.SECONDS);
                        } catch (Exception e) {
                            throw new IllegalStateException("orphaned node " + id() + " (pid " + pid + ") does not die", e);
                        }
                    });
        } catch (IOException | NumberFormatException e) {
            LOG.debug("unreadable {}", pidFile(), e);
        }
    }

    private Path pidFile() {
        return dataDirectory().resolve("broker.pid");
    }
}
