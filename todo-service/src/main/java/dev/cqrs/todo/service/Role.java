package dev.cqrs.todo.service;

import java.util.Locale;

/** What a process of the service does; one process may play any of them (CQRS_ROLES). */
public enum Role {
    /** Serves the GraphQL API and the web page: runs commands, reads the read model. */
    API,
    /** Publishes the event store's events to Kafka (one leader per store; others stand by). */
    RELAY,
    /** Keeps the read models: the to-do list in PostgreSQL and the activity state store. */
    PROJECTOR;

    String lowerCase() {
        return name().toLowerCase(Locale.ROOT);
    }
}
