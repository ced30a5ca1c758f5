package dev.cqrs.codec.registry;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.apache.avro.Schema;

/**
 * A client for a schema registry that speaks the Confluent REST API (Confluent's own, or the local
 * one of the {@code embedded} module), for Avro schemas.
 *
 * <p>Caching: the id of a (subject, schema) pair once registered, and the schema of an id once
 * fetched, are kept for the life of the client (they never change in a registry); so after the
 * first event of each type, encoding and decoding make no HTTP call. Compatibility checks and
 * version lists are not cached.
 *
 * <p>Retries: a connection failure, a time-out, HTTP 408, 429, 500, 502, 503 or 504 is retried up to
 * {@link Builder#maxAttempts(int)} attempts in all, waiting an exponentially growing, jittered
 * back-off between {@link Builder#initialBackoff(Duration)} and {@link Builder#maxBackoff(Duration)}
 * (a {@code Retry-After} header, capped at the maximum, is honoured). Anything else, or the last
 * transient failure, is thrown as a {@link SchemaRegistryException} at once.
 *
 * <p>Schema references and non-Avro schema types are not supported. Implementations are
 * thread-safe.
 */
public interface SchemaRegistryClient extends AutoCloseable {

    /**
     * A builder for a client of the registry at {@code baseUrl}, e.g. {@code http://localhost:8081}.
     *
     * @throws IllegalArgumentException when it is not an absolute http(s) URL
     */
    static Builder builder(String baseUrl) {
        return new Builder(baseUrl);
    }

    /**
     * Registers {@code schema} under {@code subject} ({@code POST /subjects/{subject}/versions}), or
     * finds it registered already, and returns its id. Cached: the same pair again makes no call.
     *
     * @throws SchemaRegistryException with {@link SchemaRegistryException#INCOMPATIBLE_SCHEMA} when the
     *                                 schema breaks the subject's compatibility level (nothing is
     *                                 registered), {@link SchemaRegistryException#INVALID_SCHEMA}, or
     *                                 when the registry is unavailable
     */
    int register(String subject, Schema schema);

    /**
     * The schema with this id ({@code GET /schemas/ids/{id}}). Cached.
     *
     * @throws SchemaRegistryException with {@link SchemaRegistryException#SCHEMA_NOT_FOUND} for an
     *                                 unknown id, or when the registry is unavailable
     */
    Schema schemaById(int id);

    /**
     * Whether {@code schema} could be registered under {@code subject}, checked against its latest
     * version under the subject's compatibility level
     * ({@code POST /compatibility/subjects/{subject}/versions/latest?verbose=true}). A subject with
     * no version yet accepts any schema.
     */
    Compatibility checkCompatibility(String subject, Schema schema);

    /** The version numbers registered under {@code subject}, oldest first; empty when it has none. */
    List<Integer> versions(String subject);

    /** Releases the HTTP client. */
    @Override
    void close();

    /**
     * The registry's answer to a compatibility check.
     *
     * @param messages why not, when the registry says (it may say nothing); informative only
     */
    record Compatibility(boolean isCompatible, List<String> messages) {
        public Compatibility {
            messages = List.copyOf(messages);
        }
    }

    /** Settings of a client; each has a default. */
    final class Builder {

        private final URI baseUrl;
        private Duration connectTimeout = Duration.ofSeconds(5);
        private Duration requestTimeout = Duration.ofSeconds(10);
        private int maxAttempts = 5;
        private Duration initialBackoff = Duration.ofMillis(100);
        private Duration maxBackoff = Duration.ofSeconds(2);

        private Builder(String baseUrl) {
            Objects.requireNonNull(baseUrl, "baseUrl");
            URI uri;
            try {
                uri = URI.create(baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("schema registry URL '" + baseUrl + "' is not a URL: " + e.getMessage(), e);
            }
            if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
                throw new IllegalArgumentException("schema registry URL '" + baseUrl
                        + "' must be an absolute http or https URL, e.g. http://localhost:8081");
            }
            this.baseUrl = uri;
        }

        /** How long to wait for a TCP connection; default 5 s. */
        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = positive(timeout, "connectTimeout");
            return this;
        }

        /** How long to wait for each answer; default 10 s. */
        public Builder requestTimeout(Duration timeout) {
            this.requestTimeout = positive(timeout, "requestTimeout");
            return this;
        }

        /** Attempts per request, the first one included, when failures are transient; default 5. */
        public Builder maxAttempts(int attempts) {
            if (attempts < 1) {
                throw new IllegalArgumentException("maxAttempts must be at least 1, not " + attempts);
            }
            this.maxAttempts = attempts;
            return this;
        }

        /** The wait before the first retry, doubled for each further one; default 100 ms. */
        public Builder initialBackoff(Duration backoff) {
            this.initialBackoff = positive(backoff, "initialBackoff");
            return this;
        }

        /** The longest wait between two attempts; default 2 s. */
        public Builder maxBackoff(Duration backoff) {
            this.maxBackoff = positive(backoff, "maxBackoff");
            return this;
        }

        /** @throws IllegalArgumentException when {@code maxBackoff} is shorter than {@code initialBackoff} */
        public SchemaRegistryClient build() {
            if (maxBackoff.compareTo(initialBackoff) < 0) {
                throw new IllegalArgumentException("maxBackoff " + maxBackoff + " is shorter than initialBackoff " + initialBackoff);
            }
            return new HttpSchemaRegistryClient(baseUrl, connectTimeout, requestTimeout,
                    new Backoff(maxAttempts, initialBackoff, maxBackoff));
        }

        private static Duration positive(Duration value, String name) {
            Objects.requireNonNull(value, name);
            if (value.isNegative() || value.isZero()) {
                throw new IllegalArgumentException(name + " must be positive, not " + value);
            }
            return value;
        }
    }
}
