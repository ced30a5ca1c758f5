package dev.cqrs.todo.api;

/** The machine-readable code of every error the API returns, in {@code errors[].extensions.code}. */
public enum ErrorCode {
    /** The command's input breaks a rule of the to-do: empty or too long description, reminder not in the future. */
    VALIDATION,
    /**
     * Nothing is served at this HTTP path. (The GraphQL API answers a to-do that does not exist with null and
     * no error, as the seed did.)
     */
    NOT_FOUND,
    /** The to-do is not at the expectedVersion the client gave: someone changed it since the client read it. */
    CONFLICT,
    /** A to-do with this id exists already. */
    ALREADY_CREATED,
    /** The request itself is wrong: malformed JSON or GraphQL, wrong types, too large, too deep or complex, a bad argument. */
    BAD_REQUEST,
    /** A mutation without a valid {@code Authorization: Bearer} token, while tokens are configured. */
    UNAUTHORIZED,
    /** The database, the broker or the schema registry cannot be reached now; try again later. */
    UNAVAILABLE,
    /** A bug: the message carries a reference to find the details in the service's log. */
    INTERNAL
}
