package dev.cqrs.reliability.faults;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cqrs.audit.AuditReport;
import dev.cqrs.reliability.audit.AuditMain;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** ./cqrs audit on a running to-do service: nothing differs, until a read-model row is altered behind its back. */
class TodoAuditTest {

    @Test
    void aRunningServiceAuditsCleanAndAnAlteredRowIsFound() throws Exception {
        try (ServiceUnderTest service = new ServiceUnderTest("todo_audit", Map.of())) {
            for (int i = 0; i < 20; i++) {
                Map<String, Object> variables = new HashMap<>();
                variables.put("t", "to-do " + i);
                variables.put("k", null);
                var created = service.client.send("mutation($t: String!, $k: String) { newTodo(text: $t, idempotencyKey: $k)"
                        + " { id } }", variables);
                assertThat(created.data()).as(created.body()).isPresent();
                String id = created.data().get().path("newTodo").path("id").asText();
                service.client.send("mutation($id: ID!) { todo(id: $id) { toggle { version } } }", new HashMap<>(Map.of("id", id)));
            }
            AuditReport clean = AuditMain.audit(service.config(), Duration.ofSeconds(60));
            assertThat(clean.isClean()).as(clean.table()).isTrue();
            assertThat(clean.storeEvents()).isEqualTo(40);
            assertThat(clean.readModels()).singleElement().satisfies(m -> assertThat(m.actualRows()).isEqualTo(20));

            try (Connection c = service.db.dataSource().getConnection(); Statement s = c.createStatement()) {
                s.execute("UPDATE todo_list_g1.todos SET completed = NOT completed WHERE id = (SELECT min(id) FROM todo_list_g1.todos)");
            }
            AuditReport altered = AuditMain.audit(service.config(), Duration.ZERO);
            assertThat(altered.isClean()).isFalse();
            assertThat(altered.readModels().get(0).different().count()).as(altered.table()).isEqualTo(1);
            assertThat(altered.differences()).isEqualTo(1);
            assertThat(List.of(altered.missing().count(), altered.duplicated().count(), altered.outOfOrder().count()))
                    .containsOnly(0L);
        }
    }
}
