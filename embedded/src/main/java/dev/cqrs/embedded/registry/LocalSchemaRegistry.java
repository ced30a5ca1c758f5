package dev.cqrs.embedded.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.cqrs.embedded.ServerBackend;
import dev.cqrs.embedded.containers.ContainerServers;
import dev.cqrs.embedded.kafka.KafkaBroker;
import dev.cqrs.embedded.registry.RegistryState.SubjectVersion;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A schema registry for tests and dev mode that speaks Confluent's REST API (Avro only), keeps
 * its schemas in a compacted Kafka topic as Confluent's does, and decides compatibility with
 * Avro's {@code SchemaCompatibility}. Production uses Confluent's registry itself; clients
 * cannot tell the two apart on the endpoints below.
 *
 * <table>
 *   <caption>Endpoints</caption>
 *   <tr><td>{@code POST /subjects/{s}/versions}</td><td>register; {@code {"id":N}}</td></tr>
 *   <tr><td>{@code POST /subjects/{s}}</td><td>look a schema up in a subject</td></tr>
 *   <tr><td>{@code GET /subjects}, {@code GET /subjects/{s}/versions}</td><td>names, version numbers</td></tr>
 *   <tr><td>{@code GET /subjects/{s}/versions/{v|latest}[/schema]}</td><td>{@code {"subject","version","id","schema"}}</td></tr>
 *   <tr><td>{@code GET /schemas/ids/{id}}</td><td>{@code {"schema":"..."}}</td></tr>
 *   <tr><td>{@code POST /compatibility/subjects/{s}/versions[/{v|latest}][?verbose=true]}</td><td>{@code {"is_compatible":bool[,"messages":[...]]}}</td></tr>
 *   <tr><td>{@code GET|PUT /config}, {@code GET|PUT /config/{s}[?defaultToGlobal=true]}</td><td>compatibility levels (BACKWARD by default)</td></tr>
 * </table>
 *
 * <p>Errors come as Confluent's {@code {"error_code":..., "message":...}}: 40401 subject not
 * found, 40402 version not found, 40403 schema not found, 40408 subject has no level of its own,
 * 409 incompatible, 42201 invalid schema (also: a schemaType other than AVRO, or references),
 * 42202 invalid version, 42203 invalid compatibility level.
 *
 * <p>The same schema (compared in Avro's parsed form) registered again under a subject gets its
 * existing id; under another subject it gets the same global id. Ids, versions and levels come
 * back from the topic when a registry starts on it again. One registry writes to a topic at a
 * time.
 */
public final class LocalSchemaRegistry implements AutoCloseable {

    /** Points {@link #sharedUrl()} at an external registry. */
    static final String URL_VARIABLE = "CQRS_SCHEMA_REGISTRY_URL";

    private static final Logger LOG = LoggerFactory.getLogger(LocalSchemaRegistry.class);
    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

    private static LocalSchemaRegistry shared; // guarded by LocalSchemaRegistry.class

    private final ObjectMapper json = new ObjectMapper();
    private final Registry registry;
    private final HttpServer server;
    private final ExecutorService executor;
    private final String topic;
    private final List<Route> routes = List.of(
            new Route("GET", "/", request -> json.createObjectNode()),
            new Route("GET", "/subjects", request -> array(registry().subjects())),
            new Route("POST", "/subjects/{subject}", request ->
                    versionJson(registry().lookUp(request.param("subject"), request.schemaText()))),
            new Route("GET", "/subjects/{subject}/versions", request ->
                    array(registry().versions(request.param("subject")))),
            new Route("POST", "/subjects/{subject}/versions", request ->
                    json.createObjectNode().put("id", registry().register(request.param("subject"), request.schemaText()))),
            new Route("GET", "/subjects/{subject}/versions/{version}", request ->
                    versionJson(registry().version(request.param("subject"), request.param("version")))),
            new Route("GET", "/subjects/{subject}/versions/{version}/schema", request ->
                    json.readTree(registry().version(request.param("subject"), request.param("version"))
                            .schema().canonical())),
            new Route("GET", "/schemas/ids/{id}", request ->
                    json.createObjectNode().put("schema", registry().schema(request.intParam("id")).canonical())),
            new Route("POST", "/compatibility/subjects/{subject}/versions", request ->
                    compatibilityJson(request, registry().compatibility(
                            request.param("subject"), Optional.empty(), request.schemaText()))),
            new Route("POST", "/compatibility/subjects/{subject}/versions/{version}", request ->
                    compatibilityJson(request, registry().compatibility(
                            request.param("subject"), Optional.of(request.param("version")), request.schemaText()))),
            new Route("GET", "/config", request ->
                    json.createObjectNode().put("compatibilityLevel", registry().globalLevel().name())),
            new Route("PUT", "/config", request ->
                    json.createObjectNode().put("compatibility",
                            registry().setLevel(Optional.empty(), request.compatibility()).name())),
            new Route("GET", "/config/{subject}", request ->
                    json.createObjectNode().put("compatibilityLevel", registry().subjectLevel(
                            request.param("subject"), request.flag("defaultToGlobal")).name())),
            new Route("PUT", "/config/{subject}", request ->
                    json.createObjectNode().put("compatibility",
                            registry().setLevel(Optional.of(request.param("subject")), request.compatibility()).name())));

    private LocalSchemaRegistry(Registry registry, HttpServer server, ExecutorService executor, String topic) {
        this.registry = registry;
        this.server = server;
        this.executor = executor;
        this.topic = topic;
    }

    /**
     * Starts a registry on 127.0.0.1 that keeps its schemas in {@code topic} (created compacted if
     * absent, and read from the beginning first).
     *
     * @param kafkaBootstrap the Kafka cluster that holds the topic
     * @param port           the HTTP port; {@code 0} picks a free one
     * @param topic          the schema topic, for example {@code _schemas}
     */
    public static LocalSchemaRegistry start(String kafkaBootstrap, int port, String topic) {
        long started = System.nanoTime();
        Registry registry = new Registry(SchemaLog.open(kafkaBootstrap, topic));
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
        } catch (IOException e) {
            registry.close();
            throw new UncheckedIOException("the local schema registry could not listen on port " + port, e);
        }
        ExecutorService executor = Executors.newFixedThreadPool(4, runnable -> {
            Thread thread = new Thread(runnable, "cqrs-schema-registry-http");
            thread.setDaemon(true);
            return thread;
        });
        var local = new LocalSchemaRegistry(registry, server, executor, topic);
        server.createContext("/", local::handle);
        server.setExecutor(executor);
        server.start();
        LOG.info("local schema registry ready in {} s at {} (topic {} at {}, {} records replayed)",
                String.format("%.1f", (System.nanoTime() - started) / 1e9), local.url(), topic, kafkaBootstrap,
                registry.replayed());
        return local;
    }

    /**
     * The registry for everything in this JVM: {@code CQRS_SCHEMA_REGISTRY_URL} when set;
     * otherwise a local registry started on first use on {@link KafkaBroker#shared()}, with a
     * topic of its own (so that JVMs sharing an external cluster never write to one topic), closed
     * by a shutdown hook.
     */
    public static synchronized String sharedUrl() {
        ServerBackend backend = ServerBackend.selected();
        if (backend == ServerBackend.CONTAINERS) {
            return ContainerServers.shared().schemaRegistryUrl();
        }
        String external = System.getenv(URL_VARIABLE);
        if (external != null && !external.isBlank()) {
            return external.strip();
        }
        if (backend == ServerBackend.EXTERNAL) {
            throw ServerBackend.missing(URL_VARIABLE);
        }
        if (shared == null) {
            shared = start(KafkaBroker.shared().bootstrapServers(), 0, KafkaBroker.uniqueTopic("_cqrs_schemas"));
            Runtime.getRuntime().addShutdownHook(new Thread(shared::close, "cqrs-schema-registry-shutdown"));
        }
        return shared.url();
    }

    /** The base URL, {@code http://127.0.0.1:<port>}, for a Confluent-compatible client. */
    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** Stops serving and closes the topic's producer; the topic and its schemas stay. */
    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
        registry.close();
        LOG.info("local schema registry at {} stopped (topic {} kept)", url(), topic);
    }

    private Registry registry() {
        return registry;
    }

    private void handle(HttpExchange exchange) throws IOException {
        int status;
        String body;
        try {
            JsonNode answer = dispatch(exchange);
            status = 200;
            body = answer.toString();
        } catch (RegistryError error) {
            status = error.status();
            body = json.createObjectNode().put("error_code", error.errorCode()).put("message", error.getMessage())
                    .toString();
            if (error.status() >= 500) {
                LOG.error("{} {} failed: {}", exchange.getRequestMethod(), exchange.getRequestURI(), error.getMessage(),
                        error.getCause());
            }
        } catch (RuntimeException | IOException e) {
            LOG.error("{} {} failed", exchange.getRequestMethod(), exchange.getRequestURI(), e);
            status = 500;
            body = json.createObjectNode().put("error_code", 50001).put("message", "Internal error: " + e).toString();
        }
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private JsonNode dispatch(HttpExchange exchange) throws IOException {
        List<String> path = segments(exchange.getRequestURI().getRawPath());
        boolean pathKnown = false;
        for (Route route : routes) {
            Optional<Map<String, String>> params = route.match(path);
            if (params.isPresent()) {
                pathKnown = true;
                if (route.method().equals(exchange.getRequestMethod())) {
                    byte[] body = exchange.getRequestBody().readAllBytes();
                    return route.handler().handle(new Request(params.get(),
                            query(exchange.getRequestURI().getRawQuery()), body, json));
                }
            }
        }
        throw pathKnown ? RegistryError.methodNotAllowed() : RegistryError.notFound();
    }

    private ArrayNode array(List<?> values) {
        ArrayNode array = json.createArrayNode();
        values.forEach(value -> array.addPOJO(value));
        return array;
    }

    private ObjectNode versionJson(SubjectVersion version) {
        return json.createObjectNode()
                .put("subject", version.subject())
                .put("version", version.version())
                .put("id", version.schema().id())
                .put("schema", version.schema().canonical());
    }

    private ObjectNode compatibilityJson(Request request, List<String> incompatibilities) {
        ObjectNode answer = json.createObjectNode().put("is_compatible", incompatibilities.isEmpty());
        if (request.flag("verbose")) {
            ArrayNode messages = answer.putArray("messages");
            incompatibilities.forEach(messages::add);
        }
        return answer;
    }

    private static List<String> segments(String rawPath) {
        return Arrays.stream(rawPath.split("/"))
                .filter(segment -> !segment.isEmpty())
                .map(LocalSchemaRegistry::decode)
                .toList();
    }

    private static Map<String, String> query(String rawQuery) {
        Map<String, String> query = new HashMap<>();
        if (rawQuery != null) {
            for (String pair : rawQuery.split("&")) {
                int equals = pair.indexOf('=');
                String name = decode(equals < 0 ? pair : pair.substring(0, equals));
                query.put(name, equals < 0 ? "" : decode(pair.substring(equals + 1)));
            }
        }
        return query;
    }

    /** Percent-decoding; a '+' in a path is a plus, not a space. */
    private static String decode(String text) {
        return URLDecoder.decode(text.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    /** A route: method, path pattern with {@code {name}} segments, handler. */
    private record Route(String method, String pattern, Handler handler) {

        Optional<Map<String, String>> match(List<String> path) {
            List<String> parts = segments(pattern);
            if (parts.size() != path.size()) {
                return Optional.empty();
            }
            Map<String, String> params = new HashMap<>();
            for (int i = 0; i < parts.size(); i++) {
                String part = parts.get(i);
                if (part.startsWith("{") && part.endsWith("}")) {
                    params.put(part.substring(1, part.length() - 1), path.get(i));
                } else if (!part.equals(path.get(i))) {
                    return Optional.empty();
                }
            }
            return Optional.of(params);
        }
    }

    @FunctionalInterface
    private interface Handler {
        JsonNode handle(Request request) throws IOException;
    }

    /** A request's path parameters, query and body. */
    private record Request(Map<String, String> params, Map<String, String> query, byte[] body, ObjectMapper json) {

        String param(String name) {
            return params.get(name);
        }

        int intParam(String name) {
            try {
                return Integer.parseInt(params.get(name));
            } catch (NumberFormatException e) {
                throw RegistryError.schemaNotFound(params.get(name));
            }
        }

        boolean flag(String name) {
            return Boolean.parseBoolean(query.get(name));
        }

        /** The {@code schema} of a register, look-up or compatibility request. */
        String schemaText() {
            JsonNode body = jsonBody();
            String type = body.path("schemaType").asText("AVRO");
            if (!type.equals("AVRO")) {
                throw RegistryError.invalidSchema("schemaType " + type + " is not supported; this local registry"
                        + " holds AVRO schemas only");
            }
            if (body.path("references").isArray() && !body.path("references").isEmpty()) {
                throw RegistryError.invalidSchema("schema references are not supported by this local registry");
            }
            JsonNode schema = body.get("schema");
            if (schema == null || !schema.isTextual() || schema.asText().isBlank()) {
                throw RegistryError.invalidSchema("the request has no 'schema' string");
            }
            return schema.asText();
        }

        /** The {@code compatibility} of a config update. */
        String compatibility() {
            JsonNode level = jsonBody().get("compatibility");
            if (level == null || !level.isTextual()) {
                throw RegistryError.invalidCompatibilityLevel(String.valueOf(level));
            }
            return level.asText();
        }

        private JsonNode jsonBody() {
            try {
                JsonNode node = json.readTree(body);
                if (node == null || !node.isObject()) {
                    throw RegistryError.badRequest("the request body must be a JSON object");
                }
                return node;
            } catch (IOException e) {
                throw RegistryError.badRequest("the request body is not JSON: " + e.getMessage());
            }
        }
    }
}
