package dev.cqrs.embedded.postgres;

import dev.cqrs.embedded.ServerBackend;
import dev.cqrs.embedded.containers.ContainerServers;

/** The one {@link PostgresServer#shared()} server of this JVM, made on first use by the {@link ServerBackend}. */
final class SharedPostgresServer {

    private static PostgresServer server;

    private SharedPostgresServer() {
    }

    static synchronized PostgresServer get() {
        if (server == null) {
            server = switch (ServerBackend.selected()) {
                case CONTAINERS -> {
                    ContainerServers containers = ContainerServers.shared();
                    yield new ExternalPostgresServer(containers.postgresJdbcUrl(), containers.postgresUser(),
                            containers.postgresPassword());
                }
                case EXTERNAL -> ExternalPostgresServer.fromEnvironment(System.getenv())
                        .orElseThrow(() -> ServerBackend.missing(ExternalPostgresServer.URL_VARIABLE));
                case EMBEDDED -> ExternalPostgresServer.fromEnvironment(System.getenv())
                        .<PostgresServer>map(external -> external)
                        .orElseGet(() -> EmbeddedPostgresServer.start(PostgresOptions.temporary()));
            };
        }
        return server;
    }
}
