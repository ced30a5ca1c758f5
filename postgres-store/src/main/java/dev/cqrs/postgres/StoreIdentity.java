package dev.cqrs.postgres;

import java.util.Objects;
import java.util.UUID;

/**
 * Who an event store is. The id is made once, when the store's schema is created, and stays with its
 * data: a restored backup, a promoted standby or a copy keeps it, another schema or database gets its own.
 *
 * @param storeId  the store's id
 * @param database the database the store is in, as the server names it
 * @param schema   the store's schema
 */
public record StoreIdentity(UUID storeId, String database, String schema) {

    public StoreIdentity {
        Objects.requireNonNull(storeId, "storeId");
        Objects.requireNonNull(database, "database");
        Objects.requireNonNull(schema, "schema");
    }

    /** A short form of the id, for names: its first twelve hex digits. */
    public String shortId() {
        return storeId.toString().replace("-", "").substring(0, 12);
    }

    /** A sentence for logs and errors. */
    public String describe() {
        return "store " + storeId + " (database " + database + ", schema " + schema + ")";
    }
}
