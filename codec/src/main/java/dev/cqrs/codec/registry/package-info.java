/**
 * A client of our own for the Confluent schema registry REST API: register a schema under a subject,
 * look a schema up by id, check compatibility. It caches what never changes (a registered
 * subject and schema's id; an id's schema), retries transient failures with bounded exponential
 * backoff, and reports the rest as a {@link dev.cqrs.codec.registry.SchemaRegistryException} that
 * says which subject or id, what the registry said, and what to do.
 */
package dev.cqrs.codec.registry;
