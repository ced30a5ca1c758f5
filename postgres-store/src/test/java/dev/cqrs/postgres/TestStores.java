package dev.cqrs.postgres;

import dev.cqrs.embedded.postgres.PostgresServer;
import dev.cqrs.embedded.postgres.TestDatabase;

/** Event stores on fresh databases of the shared test PostgreSQL server. */
final class TestStores {

    private TestStores() {
    }

    static TestDatabase database(String prefix) {
        return PostgresServer.shared().createDatabase(prefix);
    }

    static PostgresEventStore store(TestDatabase db) {
        return PostgresEventStore.builder(db.jdbcUrl(), db.user(), db.password()).poolSize(20).build();
    }

    static PostgresEventStore store(String prefix) {
        return store(database(prefix));
    }
}
