package dev.cqrs.todo.api;

import dev.cqrs.codec.registry.SchemaRegistryException;
import dev.cqrs.core.EventStoreException;
import dev.cqrs.core.StreamId;
import dev.cqrs.todo.readmodel.TodoList;
import graphql.ErrorClassification;
import graphql.ErrorType;
import graphql.GraphQLError;
import graphql.GraphqlErrorBuilder;
import graphql.execution.DataFetcherExceptionHandler;
import graphql.execution.DataFetcherExceptionHandlerParameters;
import graphql.execution.DataFetcherExceptionHandlerResult;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns every failure into a GraphQL error with an {@code extensions.code}, and never lets a stack
 * trace or an internal message reach the client: an unexpected exception is logged with a reference
 * that the client's message carries; an outage is logged at WARN and reported as UNAVAILABLE.
 */
final class ErrorMapping implements DataFetcherExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(ErrorMapping.class);

    @Override
    public CompletableFuture<DataFetcherExceptionHandlerResult> handleException(DataFetcherExceptionHandlerParameters params) {
        ApiException error = toApiException(params.getException(), params.getPath().toString());
        GraphQLError graphQLError = GraphqlErrorBuilder.newError()
                .message(error.getMessage())
                .path(params.getPath())
                .location(params.getSourceLocation())
                .errorType(ErrorClassification.errorClassification(error.code().name()))
                .extensions(error.extensions())
                .build();
        return CompletableFuture.completedFuture(DataFetcherExceptionHandlerResult.newResult(graphQLError).build());
    }

    /** The client's view of a failure in {@code where}. */
    static ApiException toApiException(Throwable thrown, String where) {
        Throwable e = thrown instanceof CompletionException && thrown.getCause() != null ? thrown.getCause() : thrown;
        return switch (e) {
            case ApiException api -> api;
            case StreamId.InvalidNameException invalid -> ApiException.badRequest(invalid.getMessage());
            case TodoList.ReadModelUnavailableException unavailable -> unavailable(where, "the read model", unavailable);
            case EventStoreException store -> unavailable(where, "the event store", store);
            case SchemaRegistryException registry when registry.isRetriable() -> unavailable(where, "the schema registry", registry);
            case KafkaException kafka -> unavailable(where, "Kafka", kafka);
            default -> {
                String reference = UUID.randomUUID().toString();
                log.error("Internal error at {} (reference {})", where, reference, e);
                yield new ApiException(ErrorCode.INTERNAL, "internal error; the service's log has the details under reference " + reference,
                        Map.of("reference", reference));
            }
        };
    }

    private static ApiException unavailable(String where, String what, Throwable e) {
        String reference = UUID.randomUUID().toString();
        log.warn("{} is unavailable at {} (reference {}): {}", what, where, reference, e.getMessage());
        return new ApiException(ErrorCode.UNAVAILABLE, what + " is unavailable; try again later (reference " + reference + ")",
                Map.of("reference", reference));
    }

    /**
     * One error as the response shows it: message, locations, path, and extensions with a code. Errors
     * raised by graphql-java itself (syntax, validation, the depth and complexity limits) get BAD_REQUEST.
     */
    static Map<String, Object> toSpecification(GraphQLError error) {
        Map<String, Object> spec = new LinkedHashMap<>(error.toSpecification());
        Map<String, Object> extensions = new LinkedHashMap<>();
        Optional.ofNullable(error.getExtensions()).ifPresent(extensions::putAll);
        extensions.remove("classification");
        ErrorCode code = extensions.get("code") instanceof String given ? named(given) : codeOf(error.getErrorType());
        extensions.put("code", code.name());
        if (code == ErrorCode.INTERNAL && !extensions.containsKey("reference")) {
            String reference = UUID.randomUUID().toString();
            log.error("Internal GraphQL error (reference {}): {}", reference, error.getMessage());
            spec.put("message", "internal error; the service's log has the details under reference " + reference);
            extensions.put("reference", reference);
        }
        spec.put("extensions", extensions);
        return spec;
    }

    private static ErrorCode codeOf(ErrorClassification type) {
        if (type instanceof ErrorType known) {
            return switch (known) {
                case InvalidSyntax, ValidationError, ExecutionAborted, OperationNotSupported -> ErrorCode.BAD_REQUEST;
                case DataFetchingException, NullValueInNonNullableField -> ErrorCode.INTERNAL;
            };
        }
        // graphql-java's other checks of the request, e.g. introspection "not asked in good faith".
        return ErrorCode.BAD_REQUEST;
    }

    private static ErrorCode named(String code) {
        for (ErrorCode known : ErrorCode.values()) {
            if (known.name().equals(code)) {
                return known;
            }
        }
        return ErrorCode.INTERNAL;
    }

    /** A response body with one error and no data. */
    static Map<String, Object> errorBody(ApiException error) {
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("message", error.getMessage());
        spec.put("extensions", error.extensions());
        return Map.of("errors", List.of(spec));
    }
}
