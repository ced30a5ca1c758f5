package dev.cqrs.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ServerBackendTest {

    @Test
    void embeddedIsTheDefault() {
        assertThat(ServerBackend.selected(null, Map.of())).isEqualTo(ServerBackend.EMBEDDED);
        assertThat(ServerBackend.selected(" ", Map.of(ServerBackend.VARIABLE, ""))).isEqualTo(ServerBackend.EMBEDDED);
    }

    @Test
    void theVariableChoosesAndThePropertyWinsOverIt() {
        assertThat(ServerBackend.selected(null, Map.of(ServerBackend.VARIABLE, "Containers ")))
                .isEqualTo(ServerBackend.CONTAINERS);
        assertThat(ServerBackend.selected("external", Map.of(ServerBackend.VARIABLE, "containers")))
                .isEqualTo(ServerBackend.EXTERNAL);
    }

    @Test
    void anUnknownBackendIsRefusedNamingTheVariableAndTheChoices() {
        assertThatThrownBy(() -> ServerBackend.selected(null, Map.of(ServerBackend.VARIABLE, "docker")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("environment variable CQRS_TEST_SERVERS must be one of embedded, containers, external,"
                        + " was 'docker'");
    }
}
