package dev.cqrs.outbox;

import dev.cqrs.embedded.postgres.TestDatabase;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A relay running as a JVM of its own ({@link RelayMain}), so that a test can kill it with SIGKILL. */
final class RelayProcess {

    private final Process process;
    final Path log;

    private RelayProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    static RelayProcess start(TestDatabase db, Map<String, Object> relaySettings, Path log) {
        String java = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder builder = new ProcessBuilder(java, "-Xmx256m", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), RelayMain.class.getName())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        Map<String, String> env = builder.environment();
        env.put("CQRS_DB_URL", db.jdbcUrl());
        env.put("CQRS_DB_USER", db.user());
        env.put("CQRS_DB_PASSWORD", db.password());
        env.put("CQRS_KAFKA_BOOTSTRAP", relaySettings.get(RelayConfig.BOOTSTRAP_SERVERS).toString());
        relaySettings.forEach((key, value) -> {
            if (key.startsWith("relay.")) {
                env.put("CQRS_RELAY_" + key.substring("relay.".length()).toUpperCase().replace('.', '_'), value.toString());
            }
        });
        try {
            return new RelayProcess(builder.start(), log);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** SIGSTOP: the process freezes as in a long GC pause or a frozen VM; its sockets stay open. */
    void pause() throws Exception {
        signal("STOP");
    }

    /** SIGCONT: the paused process runs on, as if nothing had happened. */
    void resume() throws Exception {
        signal("CONT");
    }

    private void signal(String name) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new IllegalStateException("kill -" + name + " " + process.pid() + " failed");
        }
    }

    /** SIGKILL: no shutdown hook runs, nothing is flushed or committed. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the relay process did not die");
        }
    }

    /** Waits until the process's log says {@code text} was logged at least {@code times} times. */
    boolean awaitLog(String text, int times, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(log) && count(Files.readString(log), text) >= times) {
                return true;
            }
            if (!process.isAlive()) {
                return false;
            }
            Thread.sleep(20);
        }
        return false;
    }

    /** The position the relay said it resumes after (its first such line). */
    long resumePosition() throws IOException {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("resumes after global position (\\d+)").matcher(Files.readString(log));
        if (!m.find()) {
            throw new IllegalStateException("the relay has not resumed yet: " + log);
        }
        return Long.parseLong(m.group(1));
    }

    private static int count(String haystack, String needle) {
        int count = 0;
        for (int i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + 1)) {
            count++;
        }
        return count;
    }
}
