package dev.cqrs.embedded.postgres;

/** The one {@link PostgresServer#shared()} server of this JVM, made on first use. */
final class SharedPostgresServer {

    private static PostgresServer server;

    private SharedPostgresServer() {
    }

    static synchronized PostgresServer get() {
        if (server == null) {
            server = ExternalPostgresServer.fromEnvironment(System.getenv())
                    .<PostgresServer>map(external -> external)
                    .orElseGet(() -> EmbeddedPostgresServer.start(PostgresOptions.temporary()));
        }
        return server;
    }
}
