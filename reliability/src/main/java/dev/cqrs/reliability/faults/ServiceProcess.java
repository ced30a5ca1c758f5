package dev.cqrs.reliability.faults;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A role of the to-do service running as a JVM of its own, so that the fault suite can SIGKILL it. */
final class ServiceProcess {

    private final String role;
    private final Map<String, String> env;
    private final Path log;
    private Process process;

    ServiceProcess(String role, Map<String, String> env, Path log) {
        this.role = role;
        this.env = new HashMap<>(env);
        this.env.put("CQRS_ROLES", role);
        this.log = log;
    }

    synchronized void start() {
        String java = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder builder = new ProcessBuilder(java, "-Xmx512m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
                "dev.cqrs.todo.service.TodoServiceMain", "serve")
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().putAll(env);
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the " + role + " process", e);
        }
    }

    /** SIGKILL, and wait until it is gone. */
    synchronized void kill() throws InterruptedException {
        if (process != null) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** SIGTERM (a graceful stop). */
    synchronized void stop() throws InterruptedException {
        if (process != null) {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

    synchronized boolean isAlive() {
        return process != null && process.isAlive();
    }

    String role() {
        return role;
    }

    Path log() {
        return log;
    }
}
