package dev.cqrs.reliability.faults;

import dev.cqrs.embedded.process.ProcessSignals;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

/**
 * A role of the to-do service running as a JVM of its own ({@code api-1}, {@code relay-2}, ...), so that the
 * fault suite can SIGKILL it, SIGSTOP and SIGCONT it, and start it again. Its output is appended to its log
 * file; it listens on a port of its own for {@code /health/ready} and {@code /metrics}.
 */
final class ServiceProcess {

    private final String name;
    private final String role;
    private final int httpPort;
    private final Map<String, String> env;
    private final Path log;
    private Process process;
    private boolean paused;

    ServiceProcess(String name, String role, int httpPort, Map<String, String> env, Path log) {
        this.name = name;
        this.role = role;
        this.httpPort = httpPort;
        this.env = new HashMap<>(env);
        this.env.put("CQRS_ROLES", role);
        this.env.put("CQRS_HTTP_HOST", "127.0.0.1");
        this.env.put("CQRS_HTTP_PORT", Integer.toString(httpPort));
        this.log = log;
    }

    synchronized void start() {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java, "-Xmx512m", "-XX:+UseSerialGC"));
        // The launcher's own allowances (native access for RocksDB, Unsafe for Kafka), so that the JDK does not warn.
        ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("--enable-native-access") || a.startsWith("--sun-misc-unsafe-memory-access"))
                .forEach(command::add);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.cqrs.todo.service.TodoServiceMain", "serve"));
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().putAll(env);
        try {
            process = builder.start();
            paused = false;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the " + name + " process", e);
        }
    }

    /** SIGKILL, and wait until it is gone. */
    synchronized void kill() throws InterruptedException {
        if (process != null) {
            process.destroyForcibly();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException(name + " (pid " + process.pid() + ") did not die within 30 s of SIGKILL");
            }
            paused = false;
        }
    }

    /** SIGSTOP: the process keeps its sockets and answers nothing until {@link #resume()}. */
    synchronized void pause() {
        if (process == null || !process.isAlive()) {
            throw new IllegalStateException("cannot pause " + name + ": it is not running");
        }
        ProcessSignals.pause(process.pid());
        paused = true;
    }

    /** SIGCONT. */
    synchronized void resume() {
        if (process != null && process.isAlive() && paused) {
            ProcessSignals.resume(process.pid());
        }
        paused = false;
    }

    /** SIGTERM (a graceful stop), SIGKILL after 30 s. */
    synchronized void stop() throws InterruptedException {
        if (process != null) {
            resume();
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    synchronized boolean isAlive() {
        return process != null && process.isAlive();
    }

    synchronized boolean isPaused() {
        return paused && isAlive();
    }

    /** The pid of the running JVM. */
    synchronized OptionalLong pid() {
        return isAlive() ? OptionalLong.of(process.pid()) : OptionalLong.empty();
    }

    /** {@code relay-1}: the name the report and the logs use. */
    String name() {
        return name;
    }

    /** api, relay or projector. */
    String role() {
        return role;
    }

    /** {@code http://127.0.0.1:<port>}. */
    URI url() {
        return URI.create("http://127.0.0.1:" + httpPort);
    }

    Path log() {
        return log;
    }

    @Override
    public String toString() {
        return name;
    }
}
