package dev.cqrs.embedded.process;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * SIGSTOP and SIGCONT for fault tests: a paused process keeps its sockets, locks and sessions open
 * and answers nothing, as a process in a long GC pause or on a frozen VM does; resumed, it carries on
 * as if no time had passed (a zombie, if others took its work meanwhile). The JDK sends SIGTERM and
 * SIGKILL only ({@link ProcessHandle#destroy()}, {@link ProcessHandle#destroyForcibly()}), so these
 * run {@code kill -STOP} and {@code kill -CONT}.
 */
public final class ProcessSignals {

    private ProcessSignals() {
    }

    /** SIGSTOP to {@code pid}. */
    public static void pause(long pid) {
        signal("STOP", pid);
    }

    /** SIGCONT to {@code pid}. */
    public static void resume(long pid) {
        signal("CONT", pid);
    }

    /**
     * Whether {@code pid} is stopped by a signal (state {@code T} in {@code /proc/<pid>/stat});
     * false where there is no {@code /proc}.
     */
    public static boolean isPaused(long pid) {
        try {
            String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc", Long.toString(pid), "stat"));
            // pid (comm) state ...: the command may hold spaces and parentheses, the state follows the last ')'.
            return stat.substring(stat.lastIndexOf(')') + 2).startsWith("T");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static void signal(String signal, long pid) {
        ProcessBuilder builder = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).redirectErrorStream(true);
        try {
            Process kill = builder.start();
            String output = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new IllegalStateException("kill -" + signal + " " + pid + " failed: " + output);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run kill -" + signal + " " + pid, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while sending SIG" + signal + " to " + pid, e);
        }
    }
}
