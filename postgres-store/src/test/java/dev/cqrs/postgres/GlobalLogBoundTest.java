package dev.cqrs.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.cqrs.core.CommandMetadata;
import dev.cqrs.core.RawEvent;
import dev.cqrs.core.StreamId;
import dev.cqrs.core.codec.EncodedEvent;
import dev.cqrs.embedded.postgres.TestDatabase;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The global log's bound, at the one instant a skip could hide in: an append that has been handed its
 * transaction id (so every snapshot sees it running) but has not yet taken that id's lock (so
 * {@code pg_locks} does not show it). The server does the two one after the other; a writer descheduled in
 * between sits there for as long as the scheduler likes. The test holds a real backend exactly there,
 * with gdb stopped at {@code XactLockTableInsert}, while a later append commits and a reader reads.
 */
class GlobalLogBoundTest {

    @Test
    void anAppendHandedItsIdButNotYetItsLockHoldsTheLogBack() throws Exception {
        assumeTrue(gdbAvailable(), "gdb is not on the PATH: this test stops a PostgreSQL backend with it (.ci/run installs it)");
        TestDatabase db = TestStores.database("bound");
        try (PostgresEventStore store = TestStores.store(db);
             Connection held = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
             Connection other = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password())) {
            Appender appender = new Appender(store.dataSource(), store.schema(), Optional.empty(), 1_000_000);
            // Warm both connections up, so that the held append's first transaction id is the one it stops at.
            appender.appendWith(held, StreamId.of("bound", "held"), List.of(event()), Optional.empty(), CommandMetadata.create());
            appender.appendWith(other, StreamId.of("bound", "other"), List.of(event()), Optional.empty(), CommandMetadata.create());
            long start = store.globalLog().headPosition();

            Debugger gdb = Debugger.attach(backendPid(held));
            assumeTrue(gdb.attached(), "gdb could not attach to a PostgreSQL backend (ptrace not permitted here): " + gdb.output());
            try {
                CompletableFuture<Long> heldAppend = CompletableFuture.supplyAsync(() -> {
                    try {
                        return appender.appendWith(held, StreamId.of("bound", "held"), List.of(event()), Optional.empty(),
                                CommandMetadata.create()).firstPosition();
                    } catch (SQLException | Appender.ConflictFound e) {
                        throw new IllegalStateException(e);
                    }
                });
                assertThat(gdb.awaitBreakpoint(30)).as("the held append stopped between its id and its id's lock: %s",
                        gdb.output()).isTrue();
                long later = appender.appendWith(other, StreamId.of("bound", "other"), List.of(event()), Optional.empty(),
                        CommandMetadata.create()).firstPosition();

                List<RawEvent> read = store.globalLog().readAfter(start, 100);
                assertThat(read).as("a read while an append with an older id is still to commit stops short of it"
                        + " (the later append is at %d)", later).isEmpty();

                gdb.release();
                long heldPosition = heldAppend.get(30, TimeUnit.SECONDS);
                assertThat(heldPosition).isLessThan(later);
                List<Long> positions = new ArrayList<>();
                long last = start;
                for (List<RawEvent> page = store.globalLog().readAfter(last, 100); !page.isEmpty();
                     page = store.globalLog().readAfter(last, 100)) {
                    for (RawEvent event : page) {
                        positions.add(event.globalPosition());
                        last = event.globalPosition();
                    }
                }
                assertThat(positions).as("both appends, once each, in log order").containsExactly(heldPosition, later);
            } finally {
                gdb.close();
            }
        }
    }

    private static EncodedEvent event() {
        return new EncodedEvent("Happened", "text/plain", new byte[] {1});
    }

    private static int backendPid(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement(); ResultSet rs = statement.executeQuery("SELECT pg_backend_pid()")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static boolean gdbAvailable() {
        try {
            Process probe = new ProcessBuilder("gdb", "--version").redirectErrorStream(true).start();
            probe.getInputStream().readAllBytes();
            return probe.waitFor(10, TimeUnit.SECONDS) && probe.exitValue() == 0;
        } catch (Exception e) {
            return false;
        }
    }

    /** gdb attached to one process, stopping it at XactLockTableInsert. */
    private static final class Debugger implements AutoCloseable {
        private final Process process;
        private final OutputStream commands;
        private final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
        private final StringBuffer output = new StringBuffer();
        private final boolean attached;

        private Debugger(int pid) throws Exception {
            process = new ProcessBuilder("gdb", "-q", "-nx", "-p", Integer.toString(pid),
                    "-ex", "set pagination off", "-ex", "break XactLockTableInsert", "-ex", "echo CQRS-READY\\n", "-ex", "continue")
                    .redirectErrorStream(true).start();
            commands = process.getOutputStream();
            Thread.ofPlatform().daemon().start(() -> {
                try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                        output.append(line).append('\n');
                        lines.add(line);
                    }
                } catch (java.io.IOException e) {
                    // gdb went away; close() reports what it said
                }
            });
            attached = awaitLine("CQRS-READY", 30) && output.indexOf("Breakpoint 1 at") >= 0;
        }

        static Debugger attach(int pid) throws Exception {
            return new Debugger(pid);
        }

        boolean attached() {
            return attached;
        }

        String output() {
            return output.toString();
        }

        boolean awaitBreakpoint(int seconds) throws InterruptedException {
            return awaitLine("Breakpoint 1, ", seconds);
        }

        private boolean awaitLine(String prefix, int seconds) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            while (System.nanoTime() < deadline) {
                String line = lines.poll(100, TimeUnit.MILLISECONDS);
                if (line != null && line.contains(prefix)) {
                    return true;
                }
                if (line == null && !process.isAlive()) {
                    return false;
                }
            }
            return false;
        }

        /** Lets the stopped process go on, without the breakpoint. */
        void release() throws java.io.IOException {
            commands.write("delete\ndetach\nquit\n".getBytes(StandardCharsets.UTF_8));
            commands.flush();
        }

        @Override
        public void close() throws Exception {
            if (process.isAlive()) {
                try {
                    release();
                } catch (java.io.IOException e) {
                    // gdb already gone
                }
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            }
        }
    }
}
