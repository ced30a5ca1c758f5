package dev.cqrs.codec.registry;

/**
 * The schema registry refused a request, or could not be reached. The message names the registry,
 * the subject or schema id, what the registry said and what to do.
 *
 * <p>{@link #isRetriable()} tells an outage (connection refused, time-outs, 5xx, 429: retried up to
 * the client's limit, then given up; trying later may work) from a refusal that will not change by
 * retrying (an incompatible or invalid schema, an unknown subject or id).
 */
public final class SchemaRegistryException extends RuntimeException {

    /** {@link #httpStatus()} or {@link #errorCode()} when there is none. */
    public static final int NONE = -1;
    /** Error code: the schema is incompatible with the subject's registered versions (HTTP 409). */
    public static final int INCOMPATIBLE_SCHEMA = 409;
    /** Error code: the registry cannot parse the schema (HTTP 422). */
    public static final int INVALID_SCHEMA = 42201;
    /** Error code: no such subject (HTTP 404). */
    public static final int SUBJECT_NOT_FOUND = 40401;
    /** Error code: no such version of the subject (HTTP 404). */
    public static final int VERSION_NOT_FOUND = 40402;
    /** Error code: no schema has this id (HTTP 404). */
    public static final int SCHEMA_NOT_FOUND = 40403;

    private final int httpStatus;
    private final int errorCode;
    private final boolean retriable;

    SchemaRegistryException(String message, int httpStatus, int errorCode, boolean retriable, Throwable cause) {
        super(message, cause);
        this.httpStatus = httpStatus;
        this.errorCode = errorCode;
        this.retriable = retriable;
    }

    /** The HTTP status of the registry's last answer, or {@link #NONE} when it did not answer. */
    public int httpStatus() {
        return httpStatus;
    }

    /** The registry's {@code error_code} (e.g. {@link #INCOMPATIBLE_SCHEMA}), or {@link #NONE}. */
    public int errorCode() {
        return errorCode;
    }

    /** True when the registry was unavailable (retries exhausted): the same request may work later. */
    public boolean isRetriable() {
        return retriable;
    }
}
