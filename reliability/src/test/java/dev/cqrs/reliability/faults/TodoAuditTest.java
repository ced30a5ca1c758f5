package dev.cqrs.reliability.faults;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cqrs.audit.AuditReport;
import dev.cqrs.reliability.audit.AuditMain;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * {@code ./cqrs audit} on a running to-do service, as the launcher runs it: {@link AuditMain#main} in a JVM of its
 * own, with the service's environment. It exits 0 on a consistent system while commands keep coming (it leaves out
 * what was written after it read the store, and compares the read model with the events its positions say it
 * applied), and 1 once a read-model row has been altered behind the service's back, saying how many differences it
 * found.
 */
class TodoAuditTest {

    private static final Duration PROCESS_BOUND = Duration.ofMinutes(2);

    /**
     * The audit of a live service: while a writer keeps sending commands, the audit compares the read model with
     * the events its positions say it applied (read in the same snapshot as its rows), so it exits 0; a row
     * altered behind the service's back still makes it exit 1.
     */
    @Test
    void aLiveServiceAuditsCleanWhileWritesGoOnAndAnAlteredRowMakesTheAuditExitOne() throws Exception {
        try (ServiceUnderTest service = new ServiceUnderTest("todo_audit", Map.of())) {
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                String id = create(service, "to-do " + i);
                ids.add(id);
                toggle(service, id);
            }
            AtomicBoolean writing = new AtomicBoolean(true);
            AtomicInteger written = new AtomicInteger();
            List<String> writeFailures = Collections.synchronizedList(new ArrayList<>());
            // A steady trickle of commands on to-dos of their own, so the audited rows below stay as they are.
            Thread writer = Thread.ofPlatform().name("audit-test-writer").start(() -> {
                int i = 0;
                while (writing.get()) {
                    try {
                        String id = create(service, "live " + i++);
                        toggle(service, id);
                        written.addAndGet(2);
                        Thread.sleep(20);
                    } catch (InterruptedException e) {
                        return;
                    } catch (RuntimeException | AssertionError e) {
                        writeFailures.add(e.toString());
                        return;
                    }
                }
            });
            AuditRun live;
            int writtenBefore = written.get();
            try {
                live = runAudit(service, "--settle", "60");
            } finally {
                writing.set(false);
                writer.join(Duration.ofSeconds(30));
            }
            assertThat(writer.isAlive()).as("the writer stopped").isFalse();
            assertThat(writeFailures).as("commands that failed during the audit").isEmpty();
            assertThat(written.get() - writtenBefore).as("events written while the audit ran").isPositive();
            assertThat(live.exitCode()).as(live.output()).isZero();
            assertThat(live.output()).contains("audit: no difference");

            try (Connection c = service.db.dataSource().getConnection(); Statement s = c.createStatement()) {
                s.execute("UPDATE todo_list_g1.todos SET completed = NOT completed WHERE id = '" + ids.get(3) + "'");
            }
            AuditRun altered = runAudit(service);
            assertThat(altered.exitCode()).as(altered.output()).isEqualTo(1);
            assertThat(altered.output()).contains("audit: 1 difference(s)");

            AuditReport report = AuditMain.audit(service.config(), Duration.ZERO);
            assertThat(report.storeEvents()).as("every event written, none more").isEqualTo(40 + written.get());
            assertThat(report.readModels().get(0).different().count()).as(report.table()).isEqualTo(1);
            assertThat(report.readModels().get(0).different().examples().get(0)).startsWith(ids.get(3));
            assertThat(List.of(report.missing().count(), report.duplicated().count(), report.outOfOrder().count()))
                    .containsOnly(0L);
        }
    }

    private static String create(ServiceUnderTest service, String text) {
        Map<String, Object> variables = new HashMap<>();
        variables.put("t", text);
        var created = service.client.send("mutation($t: String!) { newTodo(text: $t) { id } }", variables);
        assertThat(created.data()).as(created.body()).isPresent();
        return created.data().get().path("newTodo").path("id").asText();
    }

    private static void toggle(ServiceUnderTest service, String id) {
        var toggled = service.client.send("mutation($id: ID!) { todo(id: $id) { toggle { version } } }",
                new HashMap<>(Map.of("id", id)));
        assertThat(toggled.data()).as(toggled.body()).isPresent();
    }

    record AuditRun(int exitCode, String output) {
    }

    /** {@code ./cqrs audit ARGS}: AuditMain in a JVM of its own with the service's environment; bounded. */
    private static AuditRun runAudit(ServiceUnderTest service, String... args) throws IOException, InterruptedException {
        Path log = Files.createTempFile("cqrs-audit", ".log");
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "-Xmx256m",
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), AuditMain.class.getName()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().keySet().removeIf(name -> name.startsWith("CQRS_"));
        builder.environment().putAll(service.env);
        Process process = builder.start();
        try {
            if (!process.waitFor(PROCESS_BOUND.toSeconds(), TimeUnit.SECONDS)) {
                throw new AssertionError("./cqrs audit did not exit within " + PROCESS_BOUND + ":\n"
                        + Files.readString(log, StandardCharsets.UTF_8));
            }
            return new AuditRun(process.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
        } finally {
            process.destroyForcibly();
            Files.deleteIfExists(log);
        }
    }
}
