package dev.cqrs.todo.api;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import graphql.ExecutionResult;
import graphql.GraphQLError;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /graphql}: a JSON body {@code {"query": ..., "variables": {...}, "operationName": ...}}
 * in, a GraphQL response out. Before GraphQL sees it, a request is checked at the HTTP level, each
 * failure answered with one error with a code and no data:
 *
 * <ul>
 *   <li>a body over the size limit: 413 BAD_REQUEST, unread (up to 1 MiB read and dropped first, so the answer arrives);</li>
 *   <li>not JSON, a JSON array (batches are refused: one operation per request), no {@code query},
 *       variables that are not an object, duplicate keys, nesting deeper than 64: 400 BAD_REQUEST;</li>
 *   <li>a malformed {@code X-Correlation-Id} (a UUID) or {@code Idempotency-Key}: 400 BAD_REQUEST;</li>
 *   <li>an {@code Authorization} header that is not a valid bearer token, while tokens are configured:
 *       401 UNAUTHORIZED. With no header, queries run and mutations get UNAUTHORIZED.</li>
 * </ul>
 *
 * <p>A response whose operation never ran (syntax, validation, depth or complexity errors) has no
 * {@code data} and status 400; one that ran has status 200, with errors per field where fields failed.
 * The correlation id, given or new, is echoed in {@code X-Correlation-Id}.
 */
public final class GraphQLEndpoint {

    private static final Logger log = LoggerFactory.getLogger(GraphQLEndpoint.class);
    public static final String CORRELATION_HEADER = "X-Correlation-Id";
    public static final String IDEMPOTENCY_HEADER = "Idempotency-Key";
    static final int MAX_JSON_DEPTH = 64;

    private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_JSON_DEPTH).maxNumberLength(64).build())
            .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build());

    private final TodoGraphQL graphQL;
    private final ApiTokens tokens;

    public GraphQLEndpoint(TodoGraphQL graphQL, ApiTokens tokens) {
        this.graphQL = Objects.requireNonNull(graphQL, "graphQL");
        this.tokens = Objects.requireNonNull(tokens, "tokens");
    }

    /** The Javalin handler of {@code POST /graphql}. */
    public void handle(Context ctx) {
        UUID correlationId;
        try {
            correlationId = correlationId(ctx);
        } catch (ApiException e) {
            ctx.header(CORRELATION_HEADER, UUID.randomUUID().toString());
            respond(ctx, 400, ErrorMapping.errorBody(e));
            return;
        }
        ctx.header(CORRELATION_HEADER, correlationId.toString());
        try {
            RequestContext context = requestContext(ctx, correlationId);
            ObjectNode request = readRequest(ctx);
            String query = request.path("query").asText();
            Optional<String> operationName = request.hasNonNull("operationName") && !request.get("operationName").asText().isEmpty()
                    ? Optional.of(request.get("operationName").asText()) : Optional.empty();
            @SuppressWarnings("unchecked")
            Map<String, Object> variables = request.hasNonNull("variables")
                    ? JSON.convertValue(request.get("variables"), Map.class) : Map.of();
            ExecutionResult result = graphQL.execute(query, operationName, variables, context);
            respond(ctx, result.isDataPresent() ? 200 : 400, body(result, context));
        } catch (BodyTooLarge e) {
            drainModestOverage(ctx);
            respond(ctx, 413, ErrorMapping.errorBody(e.error));
        } catch (ApiException e) {
            if (e.code() == ErrorCode.UNAUTHORIZED) {
                ctx.header("WWW-Authenticate", "Bearer");
            }
            respond(ctx, e.code() == ErrorCode.UNAUTHORIZED ? 401 : 400, ErrorMapping.errorBody(e));
        } catch (RuntimeException e) {
            ApiException error = ErrorMapping.toApiException(e, "POST /graphql");
            respond(ctx, error.code() == ErrorCode.UNAVAILABLE ? 503 : 500, ErrorMapping.errorBody(error));
        }
    }

    private static UUID correlationId(Context ctx) {
        String given = ctx.header(CORRELATION_HEADER);
        if (given == null || given.isBlank()) {
            return UUID.randomUUID();
        }
        try {
            if (given.length() == 36) {
                return UUID.fromString(given);
            }
        } catch (IllegalArgumentException e) {
            // falls through
        }
        throw ApiException.badRequest(CORRELATION_HEADER + " must be a UUID, e.g. 3f2b8c1e-7d4a-4b9e-9c1d-2a6f0e5b7c3d");
    }

    private RequestContext requestContext(Context ctx, UUID correlationId) {
        String subject = ApiTokens.ANONYMOUS;
        boolean mayMutate = !tokens.required();
        String authorization = ctx.header("Authorization");
        if (authorization != null && tokens.required()) {
            if (!authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
                throw new ApiException(ErrorCode.UNAUTHORIZED, "the Authorization header must be 'Bearer <token>'");
            }
            subject = tokens.subjectOf(authorization.substring(7).strip())
                    .orElseThrow(() -> new ApiException(ErrorCode.UNAUTHORIZED, "this API token is not valid"));
            mayMutate = true;
        }
        Optional<String> idempotencyKey = Optional.ofNullable(ctx.header(IDEMPOTENCY_HEADER));
        idempotencyKey.ifPresent(RequestContext::checkIdempotencyKey);
        return new RequestContext(subject, mayMutate, correlationId, idempotencyKey);
    }

    private ObjectNode readRequest(Context ctx) {
        int limit = graphQL.limits().maxBodyBytes();
        long declared = ctx.req().getContentLengthLong();
        if (declared > limit) {
            throw tooLarge(declared, limit);
        }
        String contentType = Optional.ofNullable(ctx.contentType()).orElse("");
        if (!contentType.toLowerCase(Locale.ROOT).startsWith("application/json")) {
            throw ApiException.badRequest("the request must be JSON (Content-Type: application/json), not '"
                    + (contentType.length() > 100 ? contentType.substring(0, 100) + "..." : contentType) + "'");
        }
        byte[] body;
        try (InputStream in = ctx.req().getInputStream()) {
            body = in.readNBytes(limit + 1);
        } catch (IOException e) {
            throw ApiException.badRequest("the request body could not be read: " + e.getMessage());
        }
        if (body.length > limit) {
            throw tooLarge(body.length, limit);
        }
        JsonNode json;
        try (JsonParser parser = JSON.createParser(body)) {
            json = JSON.readTree(parser);
            if (json != null && parser.nextToken() != null) {
                throw ApiException.badRequest("the request body holds more than one JSON value");
            }
        } catch (JsonProcessingException e) {
            throw ApiException.badRequest("the request body is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw ApiException.badRequest("the request body is not valid JSON: " + e.getMessage());
        }
        if (json == null || json.isMissingNode()) {
            throw ApiException.badRequest("the request body is empty: send {\"query\": \"...\"}");
        }
        if (json.isArray()) {
            throw ApiException.badRequest("batched requests are not supported: send one operation per request");
        }
        if (!(json instanceof ObjectNode request)) {
            throw ApiException.badRequest("the request body must be a JSON object: {\"query\": \"...\"}");
        }
        if (!request.path("query").isTextual() || request.get("query").asText().isBlank()) {
            throw ApiException.badRequest("the request needs a \"query\": a GraphQL document as a string");
        }
        if (request.has("variables") && !request.get("variables").isNull() && !request.get("variables").isObject()) {
            throw ApiException.badRequest("\"variables\" must be a JSON object");
        }
        if (request.has("operationName") && !request.get("operationName").isNull() && !request.get("operationName").isTextual()) {
            throw ApiException.badRequest("\"operationName\" must be a string");
        }
        return request;
    }

    private static BodyTooLarge tooLarge(long size, int limit) {
        return new BodyTooLarge(ApiException.badRequest("the request body is over the limit of " + limit
                + " bytes; send a smaller request"));
    }

    /** The most of a refused body that is read and dropped so that its 413 reaches the client (see below). */
    private static final long MAX_DRAINED_BYTES = 1024 * 1024;

    /**
     * Reads and drops the rest of a refused body when it is at most {@link #MAX_DRAINED_BYTES} long. A server
     * that answers and closes while the client is still sending makes the client's TCP stack receive a reset,
     * which can discard the 413 before the client reads it (the client then sees no answer at all); reading a
     * modest rest first lets the answer through. A larger or undeclared rest stays unread: the connection is
     * closed, so a hostile client cannot make the server read without end.
     */
    private static void drainModestOverage(Context ctx) {
        long declared = ctx.req().getContentLengthLong();
        if (declared < 0 || declared > MAX_DRAINED_BYTES) {
            return;
        }
        try (InputStream in = ctx.req().getInputStream()) {
            in.skipNBytes(declared);
        } catch (IOException e) {
            // the client went away or sent less than it declared: nothing more to read
        }
    }

    /** A body over the limit: answered 413, the rest of it (beyond a modest overage) unread. */
    private static final class BodyTooLarge extends RuntimeException {
        private final transient ApiException error;

        BodyTooLarge(ApiException error) {
            super(error.getMessage(), null, false, false);
            this.error = error;
        }
    }

    private static Map<String, Object> body(ExecutionResult result, RequestContext context) {
        Map<String, Object> body = new LinkedHashMap<>();
        List<GraphQLError> errors = result.getErrors();
        if (!errors.isEmpty()) {
            body.put("errors", errors.stream().map(ErrorMapping::toSpecification).toList());
        }
        if (result.isDataPresent()) {
            body.put("data", result.getData());
        }
        Map<Object, Object> extensions = new LinkedHashMap<>();
        if (result.getExtensions() != null) {
            extensions.putAll(result.getExtensions());
        }
        context.readYourWritesExtension().ifPresent(e -> extensions.put("readYourWrites", e));
        if (!extensions.isEmpty()) {
            body.put("extensions", extensions);
        }
        return body;
    }

    private static void respond(Context ctx, int status, Map<String, Object> body) {
        try {
            ctx.status(status).contentType("application/json; charset=utf-8").result(JSON.writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            log.error("Cannot write a GraphQL response", e);
            ctx.status(500).contentType("application/json; charset=utf-8")
                    .result("{\"errors\":[{\"message\":\"internal error\",\"extensions\":{\"code\":\"INTERNAL\"}}]}");
        }
    }
}
