package dev.cqrs.codec.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@link SchemaRegistryClient} over the JDK's HTTP client and Jackson. */
final class HttpSchemaRegistryClient implements SchemaRegistryClient {

    private static final Logger log = LoggerFactory.getLogger(HttpSchemaRegistryClient.class);

    static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final String ACCEPT =
            "application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json; qs=0.9, application/json; qs=0.5";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI baseUrl;
    private final Duration requestTimeout;
    private final Backoff backoff;
    private final HttpClient http;
    private final Map<SubjectSchema, Integer> idsBySubjectSchema = new ConcurrentHashMap<>();
    private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();

    private record SubjectSchema(String subject, Schema schema) {
    }

    /** One request, described for messages: e.g. "registering a schema under subject 'todo.Created'". */
    private record Call(String method, String path, byte[] body, String what) {
    }

    HttpSchemaRegistryClient(URI baseUrl, Duration connectTimeout, Duration requestTimeout, Backoff backoff) {
        this.baseUrl = baseUrl;
        this.requestTimeout = requestTimeout;
        this.backoff = backoff;
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(connectTimeout)
                .followRedirects(HttpClient.Redirect.NORMAL)
                .build();
    }

    @Override
    public int register(String subject, Schema schema) {
        SubjectSchema key = new SubjectSchema(subject, schema);
        Integer cached = idsBySubjectSchema.get(key);
        if (cached != null) {
            return cached;
        }
        Call call = new Call("POST", "/subjects/" + encode(subject) + "/versions", schemaBody(schema),
                "registering a schema under subject '" + subject + "'");
        JsonNode answer = send(call);
        JsonNode id = answer.get("id");
        if (id == null || !id.canConvertToInt()) {
            throw malformed(call, "no integer 'id' in " + answer);
        }
        idsBySubjectSchema.putIfAbsent(key, id.intValue());
        // The registry keeps this id for an equal schema (same canonical form), so it is the writer schema of the id.
        schemasById.putIfAbsent(id.intValue(), schema);
        return id.intValue();
    }

    @Override
    public Schema schemaById(int id) {
        Schema cached = schemasById.get(id);
        if (cached != null) {
            return cached;
        }
        Call call = new Call("GET", "/schemas/ids/" + id, null, "fetching the schema with id " + id);
        JsonNode answer = send(call);
        JsonNode type = answer.get("schemaType");
        if (type != null && !type.isNull() && !"AVRO".equals(type.asText())) {
            throw new SchemaRegistryException(registry() + ": the schema with id " + id + " is a " + type.asText()
                    + " schema, not Avro: the payload was not written by an Avro codec", SchemaRegistryException.NONE,
                    SchemaRegistryException.NONE, false, null);
        }
        JsonNode text = answer.get("schema");
        if (text == null || !text.isTextual()) {
            throw malformed(call, "no 'schema' text in " + answer);
        }
        Schema schema;
        try {
            schema = new Schema.Parser().parse(text.asText());
        } catch (SchemaParseException e) {
            throw malformed(call, "its schema does not parse as Avro: " + e.getMessage());
        }
        Schema raced = schemasById.putIfAbsent(id, schema);
        return raced != null ? raced : schema;
    }

    @Override
    public Compatibility checkCompatibility(String subject, Schema schema) {
        Call call = new Call("POST", "/compatibility/subjects/" + encode(subject) + "/versions/latest?verbose=true",
                schemaBody(schema), "checking a schema's compatibility with subject '" + subject + "'");
        JsonNode answer;
        try {
            answer = send(call);
        } catch (SchemaRegistryException e) {
            if (e.errorCode() == SchemaRegistryException.SUBJECT_NOT_FOUND
                    || e.errorCode() == SchemaRegistryException.VERSION_NOT_FOUND) {
                return new Compatibility(true, List.of("subject '" + subject + "' has no version yet"));
            }
            throw e;
        }
        JsonNode compatible = answer.get("is_compatible");
        if (compatible == null || !compatible.isBoolean()) {
            throw malformed(call, "no boolean 'is_compatible' in " + answer);
        }
        List<String> messages = new ArrayList<>();
        JsonNode list = answer.get("messages");
        if (list != null && list.isArray()) {
            list.forEach(message -> messages.add(message.asText()));
        }
        return new Compatibility(compatible.booleanValue(), messages);
    }

    @Override
    public List<Integer> versions(String subject) {
        Call call = new Call("GET", "/subjects/" + encode(subject) + "/versions", null,
                "listing the versions of subject '" + subject + "'");
        JsonNode answer;
        try {
            answer = send(call);
        } catch (SchemaRegistryException e) {
            if (e.errorCode() == SchemaRegistryException.SUBJECT_NOT_FOUND) {
                return List.of();
            }
            throw e;
        }
        if (!answer.isArray()) {
            throw malformed(call, "not an array of versions: " + answer);
        }
        List<Integer> versions = new ArrayList<>();
        answer.forEach(version -> versions.add(version.intValue()));
        return List.copyOf(versions);
    }

    @Override
    public void close() {
        http.close();
    }

    @Override
    public String toString() {
        return "SchemaRegistryClient[" + baseUrl + "]";
    }

    /** Sends with retries; returns the parsed body of a 2xx answer, or throws with the registry's reason. */
    private JsonNode send(Call call) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl + call.path()))
                .timeout(requestTimeout)
                .header("Accept", ACCEPT);
        if (call.body() != null) {
            request.header("Content-Type", CONTENT_TYPE)
                    .method(call.method(), HttpRequest.BodyPublishers.ofByteArray(call.body()));
        } else {
            request.method(call.method(), HttpRequest.BodyPublishers.noBody());
        }
        HttpRequest built = request.build();
        long started = System.nanoTime();
        for (int attempt = 1; ; attempt++) {
            String failure;
            Optional<Duration> retryAfter = Optional.empty();
            int status = SchemaRegistryException.NONE;
            int errorCode = SchemaRegistryException.NONE;
            IOException ioFailure = null;
            try {
                HttpResponse<byte[]> response = http.send(built, HttpResponse.BodyHandlers.ofByteArray());
                status = response.statusCode();
                if (status >= 200 && status < 300) {
                    return parse(call, response.body());
                }
                RegistryError error = RegistryError.of(response.body());
                errorCode = error.code();
                if (!isTransient(status)) {
                    throw refused(call, status, error);
                }
                failure = "HTTP " + status + (error.message().isEmpty() ? "" : " " + error.message());
                retryAfter = response.headers().firstValue("Retry-After").flatMap(HttpSchemaRegistryClient::seconds);
            } catch (IOException e) {
                ioFailure = e;
                failure = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SchemaRegistryException(registry() + ": interrupted while " + call.what(),
                        SchemaRegistryException.NONE, SchemaRegistryException.NONE, true, e);
            }
            if (attempt >= backoff.maxAttempts()) {
                long millis = Duration.ofNanos(System.nanoTime() - started).toMillis();
                throw new SchemaRegistryException(registry() + " is unavailable: gave up " + call.what() + " after "
                        + attempt + (attempt == 1 ? " attempt" : " attempts") + " in " + millis + " ms; last failure: "
                        + failure + ". Check that the registry runs and is reachable at this URL; retrying later may work.",
                        status, errorCode, true, ioFailure);
            }
            Duration delay = backoff.beforeRetry(attempt, retryAfter);
            log.warn("schema registry {}: {} failed ({}), attempt {} of {}; retrying in {} ms",
                    baseUrl, call.what(), failure, attempt, backoff.maxAttempts(), delay.toMillis());
            try {
                Thread.sleep(delay);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SchemaRegistryException(registry() + ": interrupted while " + call.what() + ", after "
                        + failure, status, errorCode, true, e);
            }
        }
    }

    private static boolean isTransient(int status) {
        return switch (status) {
            case 408, 429, 500, 502, 503, 504 -> true;
            default -> false;
        };
    }

    private SchemaRegistryException refused(Call call, int status, RegistryError error) {
        String advice = switch (error.code()) {
            case SchemaRegistryException.INCOMPATIBLE_SCHEMA -> " The schema breaks the subject's compatibility level,"
                    + " so nothing was registered: make the change compatible (e.g. add a field as Optional, which"
                    + " gets a default), or write a new event type and an upcaster from the old one.";
            case SchemaRegistryException.INVALID_SCHEMA -> " The registry cannot parse the schema: check the types of the record.";
            case SchemaRegistryException.SUBJECT_NOT_FOUND -> " No schema was ever registered under this subject.";
            case SchemaRegistryException.SCHEMA_NOT_FOUND -> " The payload was written with another registry, or this"
                    + " registry lost its schemas (e.g. its storage topic was deleted).";
            default -> switch (status) {
                case 401, 403 -> " The registry refused our credentials.";
                case 404 -> " Check the registry URL.";
                default -> "";
            };
        };
        String code = error.code() == SchemaRegistryException.NONE ? "" : ", error code " + error.code();
        String said = error.message().isEmpty() ? "" : ": " + error.message();
        return new SchemaRegistryException(registry() + " refused " + call.what() + " (HTTP " + status + code + ")" + said
                + "." + advice, status, error.code(), false, null);
    }

    private SchemaRegistryException malformed(Call call, String reason) {
        return new SchemaRegistryException(registry() + " answered " + call.what() + " with something unexpected: "
                + reason + ". Is this a Confluent-compatible schema registry?", SchemaRegistryException.NONE,
                SchemaRegistryException.NONE, false, null);
    }

    private JsonNode parse(Call call, byte[] body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw malformed(call, "a body that is not JSON (" + e.getMessage() + ")");
        }
    }

    private String registry() {
        return "schema registry " + baseUrl;
    }

    private static byte[] schemaBody(Schema schema) {
        Map<String, String> body = new LinkedHashMap<>();
        body.put("schema", schema.toString());
        body.put("schemaType", "AVRO");
        try {
            return JSON.writeValueAsBytes(body);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write a registry request", e);
        }
    }

    /** A subject as one path segment: every reserved character escaped, a space as %20. */
    static String encode(String subject) {
        return URLEncoder.encode(subject, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static Optional<Duration> seconds(String retryAfter) {
        try {
            return Optional.of(Duration.ofSeconds(Long.parseLong(retryAfter.trim())));
        } catch (NumberFormatException e) {
            return Optional.empty(); // an HTTP date: use our own back-off
        }
    }

    /** The body of a Confluent error: {@code {"error_code": 40401, "message": "..."}}. */
    private record RegistryError(int code, String message) {

        static RegistryError of(byte[] body) {
            try {
                JsonNode json = JSON.readTree(body);
                if (json != null && json.isObject()) {
                    JsonNode code = json.get("error_code");
                    JsonNode message = json.get("message");
                    return new RegistryError(code != null && code.canConvertToInt() ? code.intValue() : SchemaRegistryException.NONE,
                            message != null && !message.isNull() ? message.asText() : "");
                }
            } catch (IOException e) {
                // not JSON: fall through to the raw text
            }
            String text = new String(body, StandardCharsets.UTF_8).strip();
            return new RegistryError(SchemaRegistryException.NONE, text.length() > 200 ? text.substring(0, 200) + "..." : text);
        }
    }
}
