package dev.cqrs.reliability.faults;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the suite reads of the service's logs and metrics: the formats the service writes. */
class OperatorViewTest {

    @TempDir
    Path dir;

    @Test
    void warnAndErrorLinesOfTheServicesLogFormatAreReadWithTheirTimeAndGroupedWithoutIds() throws Exception {
        ServiceProcess relay = new ServiceProcess("relay-1", "relay", 1, Map.of(), dir.resolve("relay-1.log"));
        String now = LocalTime.now().format(DateTimeFormatter.ofPattern("HH:mm:ss.SSS"));
        // The pattern of todo-service's logback.xml: %d{HH:mm:ss.SSS} %-5level [%thread] %logger{30} - %msg%n
        Files.writeString(relay.log(), String.join("\n",
                now + " INFO  [main] d.c.outbox.Relay - Relay todo is the leader; publishing to Kafka at 127.0.0.1:1",
                now + " WARN  [cqrs-relay-todo] d.c.outbox.Relay - Relay todo: lost the leader lock (the database session ended)",
                now + " ERROR [cqrs-relay-todo] d.c.outbox.Realignment - Relay todo: the store lost event 4d9e5b3c-1111-2222-3333-444455556666"
                        + " (todo/x#3, global position 123456), which was published to Kafka",
                "\tat some.stack.Frame(Frame.java:1)",
                now + " WARN  [cqrs-relay-todo] d.c.outbox.Relay - Relay todo: lost the leader lock (the database session ended)",
                "") + "half a line");
        OperatorView view = new OperatorView(List.of(relay));

        view.readLogs();

        assertThat(view.logLines()).extracting(OperatorView.LogLine::level).containsExactly("WARN", "ERROR", "WARN");
        assertThat(view.logLines().get(1).message()).contains("the store lost event 4d9e5b3c-1111-2222-3333-444455556666");
        assertThat(view.logLines().get(1).atMillis()).isCloseTo(System.currentTimeMillis(), org.assertj.core.data.Offset.offset(60_000L));
        OperatorView.Summary summary = view.summary(System.currentTimeMillis() - 60_000, System.currentTimeMillis() + 60_000);
        assertThat(summary.warnLines()).isEqualTo(2);
        assertThat(summary.errorLines()).isEqualTo(1);
        assertThat(summary.topLines().getFirst()).startsWith("2x relay-1: WARN d.c.outbox.Relay - Relay todo: lost the leader lock");
        assertThat(summary.topLines().get(1)).contains("the store lost event # (todo/x##, global position #)");
        assertThat(summary.notUp()).isEmpty();

        Files.writeString(relay.log(), " (the rest of it)\n", java.nio.file.StandardOpenOption.APPEND);
        view.readLogs();
        assertThat(view.logLines()).hasSize(3);
    }

    @Test
    void prometheusSamplesAreReadByNameAndLabels() {
        Map<String, Double> values = OperatorView.parse("""
                # HELP cqrs_relay_leader 1 when this process's relay is the leader
                # TYPE cqrs_relay_leader gauge
                cqrs_relay_leader 1.0
                cqrs_relay_errors_total 3.0
                cqrs_projection_lag_records{projection="todo_list"} 12.0
                """);

        assertThat(values).containsEntry("cqrs_relay_leader", 1.0).containsEntry("cqrs_relay_errors_total", 3.0)
                .containsEntry("cqrs_projection_lag_records{projection=\"todo_list\"}", 12.0).hasSize(3);
    }
}
