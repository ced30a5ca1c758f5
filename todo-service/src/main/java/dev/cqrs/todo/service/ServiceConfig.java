package dev.cqrs.todo.service;

import dev.cqrs.core.Names;
import dev.cqrs.outbox.RelayConfig;
import dev.cqrs.projector.ProjectorConfig;
import dev.cqrs.todo.domain.TodoAggregate;
import dev.cqrs.todo.api.ApiLimits;
import dev.cqrs.todo.api.ApiTokens;
import java.net.URI;
import java.time.Duration;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.common.config.ConfigException;

/**
 * The service's configuration, from environment variables. Every variable is declared once in
 * {@link Setting}, with its default, its meaning and, for a whole number, its range ({@link #documentation()}
 * prints the table), as {@code RelayConfig} and {@code ProjectorConfig} declare theirs; everything is
 * validated here, at start-up, with a message that names the variable (and never echoes a secret).
 *
 * <p>Besides these, {@code CQRS_RELAY_<KEY>} sets the relay's {@code relay.<key>} (e.g.
 * {@code CQRS_RELAY_BATCH_MAX_EVENTS} for {@code relay.batch.max.events}) and {@code CQRS_PROJECTOR_<KEY>}
 * the projector's {@code projector.<key>} (e.g. {@code CQRS_PROJECTOR_STATE_DIR}); see RelayConfig and
 * ProjectorConfig for those keys. Kafka client settings pass through the same way:
 * {@code CQRS_RELAY_PRODUCER_<KEY>} is the relay producer's {@code <key>} ({@code producer.<key>}, e.g.
 * {@code CQRS_RELAY_PRODUCER_REQUEST_TIMEOUT_MS}), and {@code CQRS_PROJECTOR_STREAMS_<KEY>} the projector's
 * Kafka Streams setting {@code <key>} ({@code streams.<key>}, e.g. {@code CQRS_PROJECTOR_STREAMS_CONSUMER_REQUEST_TIMEOUT_MS}
 * for {@code consumer.request.timeout.ms}); a setting the relay or the projector owns (the producer's
 * {@code acks}, the processing guarantee) is refused with its name.
 */
public record ServiceConfig(
        Set<Role> roles,
        String httpHost,
        int httpPort,
        Database eventStore,
        String storeSchema,
        int poolSize,
        Duration databaseTimeout,
        Database readModel,
        String readSchema,
        String kafkaBootstrap,
        String schemaRegistryUrl,
        ApiTokens tokens,
        ApiLimits limits,
        int commandRetries,
        int snapshotEvery,
        Map<String, Object> relaySettings,
        Map<String, Object> projectorSettings) {

    /** A PostgreSQL database and how to log in. */
    public record Database(String url, String user, String password) {
        @Override
        public String toString() {
            return url + " as " + user;
        }
    }

    /** Every environment variable of the service. */
    public enum Setting {
        ROLES("CQRS_ROLES", "api,relay,projector", "What this process does: any of api, relay, projector, comma-separated."),
        HTTP_HOST("CQRS_HTTP_HOST", "0.0.0.0", "The address the HTTP server listens on (dev mode: 127.0.0.1)."),
        HTTP_PORT("CQRS_HTTP_PORT", "8080", 0, 65_535, "The HTTP port (GraphQL, the page, /health, /metrics); 0 picks a free one."),
        DB_URL("CQRS_DB_URL", "", "JDBC URL of the event store's PostgreSQL, e.g. jdbc:postgresql://db:5432/todo. Required, "
                + "except in dev mode, which starts an embedded PostgreSQL without it."),
        DB_USER("CQRS_DB_USER", "postgres", "The event store's database user."),
        DB_PASSWORD("CQRS_DB_PASSWORD", "", "That user's password."),
        DB_SCHEMA("CQRS_DB_SCHEMA", "cqrs", "The schema of the event store's tables."),
        DB_POOL_SIZE("CQRS_DB_POOL_SIZE", "10", 1, 200, "Connections in the event store's pool."),
        DB_TIMEOUT_MS("CQRS_DB_TIMEOUT_MS", "5000", 250, 60_000, "How long a request waits for a database connection before it"
                + " answers UNAVAILABLE, in ms."),
        READ_DB_URL("CQRS_READ_DB_URL", "", "JDBC URL of the read-model database; default: CQRS_DB_URL."),
        READ_DB_USER("CQRS_READ_DB_USER", "", "The read-model database's user; default: CQRS_DB_USER."),
        READ_DB_PASSWORD("CQRS_READ_DB_PASSWORD", "", "That user's password; default: CQRS_DB_PASSWORD."),
        READ_SCHEMA("CQRS_READ_SCHEMA", "read", "The schema of the read-model views that queries read."),
        KAFKA_BOOTSTRAP("CQRS_KAFKA_BOOTSTRAP", "", "Kafka's bootstrap servers, host:port[,host:port]. Required, except in dev mode."),
        SCHEMA_REGISTRY_URL("CQRS_SCHEMA_REGISTRY_URL", "", "The schema registry's URL (Confluent REST API). Required, except in dev mode."),
        API_TOKENS("CQRS_API_TOKENS", "", "API tokens as subject:token pairs, comma-separated (tokens 16+ characters). When set, "
                + "mutations need 'Authorization: Bearer <token>' and record the subject as initiatedBy."),
        API_MAX_BODY_BYTES("CQRS_API_MAX_BODY_BYTES", "65536", 1_024, 10 * 1024 * 1024, "The largest GraphQL request body, in bytes."),
        API_MAX_QUERY_DEPTH("CQRS_API_MAX_QUERY_DEPTH", "20", 5, 100, "The deepest GraphQL selection."),
        API_MAX_QUERY_COMPLEXITY("CQRS_API_MAX_QUERY_COMPLEXITY", "5000", 100, 1_000_000, "The largest cost of one GraphQL"
                + " operation: fields 1, reads 10, commands 500, lists times their size."),
        API_MAX_PAGE_SIZE("CQRS_API_MAX_PAGE_SIZE", "100", 1, 1_000, "The largest page of allTodos."),
        API_READ_WAIT_MS("CQRS_API_READ_WAIT_MS", "5000", 0, 30_000, "The longest a request waits for its minPosition, in ms:"
                + " all of its fields together."),
        API_MAX_WAITING_QUERIES("CQRS_API_MAX_WAITING_QUERIES", "64", 0, 10_000, "How many requests may wait for a minPosition at"
                + " once; beyond it a query answers without waiting and says so in extensions.readYourWrites."),
        COMMAND_RETRIES("CQRS_COMMAND_RETRIES", "3", 0, 20, "Retries of a command without expectedVersion when a concurrent writer wins."),
        SNAPSHOT_EVERY("CQRS_SNAPSHOT_EVERY", "100", 0, 1_000_000, "Snapshot a to-do every this many events; 0 never.");

        final String variable;
        final String defaultValue;
        final String documentation;
        /** For a whole number: the smallest and largest value accepted, checked by {@link ServiceConfig#from}. */
        private final int min;
        private final int max;
        private final boolean integer;

        Setting(String variable, String defaultValue, String documentation) {
            this.variable = variable;
            this.defaultValue = defaultValue;
            this.documentation = documentation;
            this.min = 0;
            this.max = 0;
            this.integer = false;
        }

        /** A whole number from {@code min} to {@code max}. */
        Setting(String variable, String defaultValue, int min, int max, String documentation) {
            this.variable = variable;
            this.defaultValue = defaultValue;
            this.documentation = documentation + " A whole number from " + min + " to " + max + ".";
            this.min = min;
            this.max = max;
            this.integer = true;
        }

        public String variable() {
            return variable;
        }
    }

    static final String RELAY_PREFIX = "CQRS_RELAY_";
    static final String PROJECTOR_PREFIX = "CQRS_PROJECTOR_";
    static final String RELAY_PRODUCER_PREFIX = RELAY_PREFIX + "PRODUCER_";
    static final String PROJECTOR_STREAMS_PREFIX = PROJECTOR_PREFIX + "STREAMS_";

    /** The longest schema name accepted: the projector's limit for its read schema. */
    private static final int MAX_SCHEMA_LENGTH = 41;

    /** A configuration error: names the variable, the value when it is not secret, and what is expected. */
    public static final class InvalidConfigException extends IllegalArgumentException {
        InvalidConfigException(String message) {
            super(message);
        }
    }

    /**
     * The configuration from these environment variables.
     *
     * @throws InvalidConfigException on the first variable that is wrong or missing
     */
    public static ServiceConfig from(Map<String, String> env) {
        Reader r = new Reader(env);
        Set<Role> roles = r.roles();
        boolean api = roles.contains(Role.API);
        boolean relay = roles.contains(Role.RELAY);
        boolean projector = roles.contains(Role.PROJECTOR);
        String host = r.text(Setting.HTTP_HOST);
        int port = r.integer(Setting.HTTP_PORT);
        Database store = new Database(r.jdbcUrl(Setting.DB_URL, api || relay), r.text(Setting.DB_USER), r.raw(Setting.DB_PASSWORD));
        String storeSchema = r.schema(Setting.DB_SCHEMA);
        int poolSize = r.integer(Setting.DB_POOL_SIZE);
        Duration databaseTimeout = Duration.ofMillis(r.integer(Setting.DB_TIMEOUT_MS));
        String readUrl = r.raw(Setting.READ_DB_URL).isBlank() ? store.url() : r.jdbcUrl(Setting.READ_DB_URL, false);
        if ((api || projector) && readUrl.isBlank()) {
            throw r.missing(Setting.DB_URL, "the api and projector roles need the read-model database (CQRS_DB_URL or CQRS_READ_DB_URL)");
        }
        Database readModel = new Database(readUrl,
                r.raw(Setting.READ_DB_USER).isBlank() ? store.user() : r.text(Setting.READ_DB_USER),
                r.raw(Setting.READ_DB_PASSWORD).isEmpty() ? store.password() : r.raw(Setting.READ_DB_PASSWORD));
        String readSchema = r.schema(Setting.READ_SCHEMA);
        String bootstrap = r.text(Setting.KAFKA_BOOTSTRAP);
        if (bootstrap.isBlank()) {
            throw r.missing(Setting.KAFKA_BOOTSTRAP, "every role needs Kafka");
        }
        String registry = r.raw(Setting.SCHEMA_REGISTRY_URL).strip();
        if (registry.isBlank() && (api || projector)) {
            throw r.missing(Setting.SCHEMA_REGISTRY_URL, "the api and projector roles encode and decode events with it");
        }
        if (!registry.isBlank()) {
            r.httpUrl(Setting.SCHEMA_REGISTRY_URL, registry);
        }
        ApiTokens tokens;
        try {
            tokens = ApiTokens.parse(r.raw(Setting.API_TOKENS));
        } catch (IllegalArgumentException e) {
            throw new InvalidConfigException(Setting.API_TOKENS.variable + ": " + e.getMessage());
        }
        ApiLimits limits = new ApiLimits(
                r.integer(Setting.API_MAX_BODY_BYTES),
                r.integer(Setting.API_MAX_QUERY_DEPTH),
                r.integer(Setting.API_MAX_QUERY_COMPLEXITY),
                r.integer(Setting.API_MAX_PAGE_SIZE),
                Duration.ofMillis(r.integer(Setting.API_READ_WAIT_MS)),
                r.integer(Setting.API_MAX_WAITING_QUERIES));
        int retries = r.integer(Setting.COMMAND_RETRIES);
        int snapshotEvery = r.integer(Setting.SNAPSHOT_EVERY);

        Map<String, Object> relaySettings = r.passThrough(RELAY_PREFIX, "relay.", RELAY_PRODUCER_PREFIX, RelayConfig.PRODUCER_PREFIX);
        relaySettings.put(RelayConfig.BOOTSTRAP_SERVERS, bootstrap);
        Map<String, Object> projectorSettings = r.passThrough(PROJECTOR_PREFIX, "projector.", PROJECTOR_STREAMS_PREFIX,
                ProjectorConfig.STREAMS_PREFIX);
        for (String owned : new String[] {ProjectorConfig.READ_MODEL_URL, ProjectorConfig.READ_MODEL_USER,
                ProjectorConfig.READ_MODEL_PASSWORD, ProjectorConfig.READ_SCHEMA}) {
            if (projectorSettings.containsKey(owned)) {
                throw new InvalidConfigException(PROJECTOR_PREFIX + owned.substring("projector.".length()).toUpperCase(Locale.ROOT)
                        .replace('.', '_') + " is not allowed: use CQRS_READ_DB_URL, CQRS_READ_DB_USER, CQRS_READ_DB_PASSWORD"
                        + " and CQRS_READ_SCHEMA");
            }
        }
        projectorSettings.put(ProjectorConfig.BOOTSTRAP_SERVERS, bootstrap);
        projectorSettings.put(ProjectorConfig.READ_MODEL_URL, readModel.url());
        projectorSettings.put(ProjectorConfig.READ_MODEL_USER, readModel.user());
        projectorSettings.put(ProjectorConfig.READ_MODEL_PASSWORD, readModel.password());
        projectorSettings.put(ProjectorConfig.READ_SCHEMA, readSchema);
        projectorSettings.putIfAbsent(ProjectorConfig.TOPIC_PARTITIONS,
                relaySettings.getOrDefault(RelayConfig.TOPIC_PARTITIONS, "6"));
        ServiceConfig config = new ServiceConfig(roles, host, port, store, storeSchema, poolSize, databaseTimeout, readModel, readSchema,
                bootstrap, registry, tokens, limits, retries, snapshotEvery, Map.copyOf(relaySettings), Map.copyOf(projectorSettings));
        config.relayConfig();
        config.projectorConfig();
        return config;
    }

    /** The relay's configuration (validated by {@link #from}). */
    public RelayConfig relayConfig() {
        try {
            return new RelayConfig(relaySettings);
        } catch (ConfigException e) {
            throw new InvalidConfigException("relay configuration (" + RELAY_PREFIX + "*): " + e.getMessage());
        }
    }

    /** The projector's configuration (validated by {@link #from}). */
    public ProjectorConfig projectorConfig() {
        try {
            return new ProjectorConfig(projectorSettings);
        } catch (ConfigException e) {
            throw new InvalidConfigException("projector configuration (" + PROJECTOR_PREFIX + "*): " + e.getMessage());
        }
    }

    /** The Kafka topic of the to-dos' events, as the relay names it. */
    public String todoTopic() {
        return relayConfig().topicOf(TodoAggregate.TYPE);
    }

    public boolean runs(Role role) {
        return roles.contains(role);
    }

    /** Every variable with its default and meaning, as a table for people. */
    public static String documentation() {
        StringBuilder out = new StringBuilder();
        for (Setting setting : Setting.values()) {
            out.append(String.format("  %-28s %s%n", setting.variable,
                    setting.defaultValue.isEmpty() ? "" : "(default " + setting.defaultValue + ")"));
            out.append(String.format("  %-28s %s%n", "", setting.documentation));
        }
        out.append(String.format("  %-28s %s%n", RELAY_PREFIX + "<KEY>", "relay.<key> of the relay, e.g. CQRS_RELAY_BATCH_MAX_EVENTS"));
        out.append(String.format("  %-28s %s%n", RELAY_PRODUCER_PREFIX + "<KEY>",
                "<key> of the relay's Kafka producer, e.g. CQRS_RELAY_PRODUCER_REQUEST_TIMEOUT_MS"));
        out.append(String.format("  %-28s %s%n", PROJECTOR_PREFIX + "<KEY>", "projector.<key> of the projector, e.g. CQRS_PROJECTOR_STATE_DIR"));
        out.append(String.format("  %-28s %s%n", PROJECTOR_STREAMS_PREFIX + "<KEY>",
                "<key> of the projector's Kafka Streams, e.g. CQRS_PROJECTOR_STREAMS_CONSUMER_REQUEST_TIMEOUT_MS"));
        return out.toString();
    }

    /** Reads and checks variables, naming the variable in every error. */
    private record Reader(Map<String, String> env) {

        String raw(Setting setting) {
            String value = env.get(setting.variable);
            return value == null ? setting.defaultValue : value;
        }

        String text(Setting setting) {
            return raw(setting).strip();
        }

        /** A whole-number setting, within the range its declaration gives. */
        int integer(Setting setting) {
            if (!setting.integer) {
                throw new IllegalArgumentException(setting.variable + " is not declared as a whole number");
            }
            String value = text(setting);
            try {
                int parsed = Integer.parseInt(value);
                if (parsed >= setting.min && parsed <= setting.max) {
                    return parsed;
                }
            } catch (NumberFormatException e) {
                // falls through
            }
            throw new InvalidConfigException(setting.variable + "='" + value + "': must be a whole number from " + setting.min
                    + " to " + setting.max);
        }

        Set<Role> roles() {
            Set<Role> roles = EnumSet.noneOf(Role.class);
            for (String part : text(Setting.ROLES).split(",")) {
                String name = part.strip().toUpperCase(Locale.ROOT);
                try {
                    roles.add(Role.valueOf(name));
                } catch (IllegalArgumentException e) {
                    throw new InvalidConfigException(Setting.ROLES.variable + "='" + text(Setting.ROLES)
                            + "': each role must be api, relay or projector");
                }
            }
            return Set.copyOf(roles);
        }

        String jdbcUrl(Setting setting, boolean required) {
            String value = text(setting);
            if (value.isBlank()) {
                if (required) {
                    throw missing(setting, "the api and relay roles need the event store");
                }
                return "";
            }
            if (!value.startsWith("jdbc:postgresql:")) {
                throw new InvalidConfigException(setting.variable + ": must be a PostgreSQL JDBC URL, jdbc:postgresql://host:port/database");
            }
            return value;
        }

        String schema(Setting setting) {
            String value = text(setting);
            if (!Names.isLowerCaseIdentifier(value, MAX_SCHEMA_LENGTH)) {
                throw new InvalidConfigException(setting.variable + "='" + value + "': must be a lower-case SQL identifier");
            }
            return value;
        }

        void httpUrl(Setting setting, String value) {
            try {
                URI uri = URI.create(value);
                if (("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && uri.getHost() != null) {
                    return;
                }
            } catch (IllegalArgumentException e) {
                // falls through
            }
            throw new InvalidConfigException(setting.variable + "='" + value + "': must be an http(s) URL, e.g. http://registry:8081");
        }

        InvalidConfigException missing(Setting setting, String why) {
            return new InvalidConfigException(setting.variable + " is not set: " + why
                    + " (or run ./cqrs dev, which starts what is missing)");
        }

        /**
         * {@code <prefix><KEY>} variables as {@code <keyPrefix><key>} settings, and {@code <clientPrefix><KEY>} ones
         * (a Kafka client's settings) as {@code <clientKeyPrefix><key>}: upper case to lower, '_' to '.'.
         */
        Map<String, Object> passThrough(String prefix, String keyPrefix, String clientPrefix, String clientKeyPrefix) {
            Map<String, Object> settings = new HashMap<>();
            new LinkedHashMap<>(env).forEach((name, value) -> {
                if (name.startsWith(clientPrefix) && name.length() > clientPrefix.length()) {
                    settings.put(clientKeyPrefix + key(name, clientPrefix), value);
                } else if (name.startsWith(prefix) && name.length() > prefix.length()) {
                    settings.put(keyPrefix + key(name, prefix), value);
                }
            });
            return settings;
        }

        private static String key(String variable, String prefix) {
            return variable.substring(prefix.length()).toLowerCase(Locale.ROOT).replace('_', '.');
        }
    }

    /** Optional view of the registry URL: empty for a relay-only process, which does not decode. */
    public Optional<String> registryUrl() {
        return schemaRegistryUrl.isBlank() ? Optional.empty() : Optional.of(schemaRegistryUrl);
    }
}
