package dev.cqrs.todo.api;

import graphql.GraphQLContext;
import graphql.execution.CoercedVariables;
import graphql.language.IntValue;
import graphql.language.StringValue;
import graphql.language.Value;
import graphql.schema.Coercing;
import graphql.schema.CoercingParseLiteralException;
import graphql.schema.CoercingParseValueException;
import graphql.schema.CoercingSerializeException;
import graphql.schema.GraphQLScalarType;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.Locale;
import java.util.function.Function;

/** The API's custom scalars: the seed's {@code DateTimeUtc} and {@code Cursor}, and our {@code Position}. */
final class Scalars {

    /** Reminders and event times stay within what every store and codec handles (Avro timestamp-millis, timestamptz). */
    static final Instant EARLIEST = Instant.parse("1970-01-01T00:00:00Z");
    static final Instant LATEST = Instant.parse("9999-12-31T23:59:59.999Z");
    private static final String CURSOR_PREFIX = "todo-list:";

    private Scalars() {
    }

    /** A 64-bit global position, serialised as a decimal string (JSON numbers lose precision past 2^53). */
    static final GraphQLScalarType POSITION = scalar("Position", "A global position of the event log, as a decimal string",
            Long.class, position -> Long.toString(position), Scalars::parsePosition);

    /**
     * The seed's {@code DateTimeUtc} (juniper's scalar for chrono's {@code DateTime<Utc>}): written as chrono's
     * {@code to_rfc3339} writes it, read as RFC 3339 / ISO-8601 text with any offset.
     */
    static final GraphQLScalarType DATE_TIME_UTC = scalar("DateTimeUtc", "An instant as RFC 3339 text",
            Instant.class, Scalars::rfc3339, Scalars::parseDateTime);

    private static final DateTimeFormatter SECONDS = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss", Locale.ROOT)
            .withZone(ZoneOffset.UTC);

    /** A page cursor: the position of the to-do's Created event, wrapped so that clients treat it as opaque. */
    static final GraphQLScalarType CURSOR = scalar("Cursor", "An opaque cursor into the to-do list",
            Long.class, Scalars::cursorOf, Scalars::parseCursor);

    /**
     * An instant as chrono's {@code DateTime<Utc>::to_rfc3339} writes it, which the seed's clients read: seconds,
     * then 3, 6 or 9 digits of a fraction when there is one, then {@code +00:00} (not {@code Z}).
     */
    static String rfc3339(Instant instant) {
        int nanos = instant.getNano();
        String fraction = nanos == 0 ? ""
                : nanos % 1_000_000 == 0 ? String.format(Locale.ROOT, ".%03d", nanos / 1_000_000)
                : nanos % 1_000 == 0 ? String.format(Locale.ROOT, ".%06d", nanos / 1_000)
                : String.format(Locale.ROOT, ".%09d", nanos);
        return SECONDS.format(instant) + fraction + "+00:00";
    }

    static String cursorOf(long createdPosition) {
        return Base64.getUrlEncoder().withoutPadding()
                .encodeToString((CURSOR_PREFIX + createdPosition).getBytes(StandardCharsets.UTF_8));
    }

    private static long parsePosition(Object input) {
        if (input instanceof Integer || input instanceof Long || input instanceof BigInteger) {
            BigInteger value = new BigInteger(input.toString());
            if (value.signum() >= 0 && value.bitLength() < 64) {
                return value.longValue();
            }
        } else if (input instanceof String text && text.matches("[0-9]{1,19}")) {
            BigInteger value = new BigInteger(text);
            if (value.bitLength() < 64) {
                return value.longValue();
            }
        }
        throw new IllegalArgumentException("a Position is a non-negative 64-bit integer written as a decimal string, e.g. \"123456789\"");
    }

    private static Instant parseDateTime(Object input) {
        if (input instanceof String text && text.length() <= 64) {
            try {
                Instant instant = OffsetDateTime.parse(text, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
                if (instant.isBefore(EARLIEST) || instant.isAfter(LATEST)) {
                    throw new IllegalArgumentException("a DateTimeUtc must be between the years 1970 and 9999");
                }
                return instant;
            } catch (DateTimeParseException e) {
                // falls through to the general message
            }
        }
        throw new IllegalArgumentException("a DateTimeUtc is RFC 3339 text with an offset, e.g. \"2030-01-31T09:00:00Z\"");
    }

    private static long parseCursor(Object input) {
        if (input instanceof String text && text.length() <= 64) {
            try {
                String decoded = new String(Base64.getUrlDecoder().decode(text), StandardCharsets.UTF_8);
                if (decoded.startsWith(CURSOR_PREFIX)) {
                    return parsePosition(decoded.substring(CURSOR_PREFIX.length()));
                }
            } catch (IllegalArgumentException e) {
                // falls through to the general message
            }
        }
        throw new IllegalArgumentException("not a cursor of allTodos: pass a page's endCursor unchanged");
    }

    private static <T> GraphQLScalarType scalar(String name, String description, Class<T> type, Function<T, String> write,
                                                Function<Object, T> read) {
        return GraphQLScalarType.newScalar().name(name).description(description).coercing(new Coercing<T, String>() {
            @Override
            public String serialize(Object value, GraphQLContext context, Locale locale) {
                if (!type.isInstance(value)) {
                    throw new CoercingSerializeException(name + " cannot serialise a " + value.getClass().getSimpleName());
                }
                return write.apply(type.cast(value));
            }

            @Override
            public T parseValue(Object input, GraphQLContext context, Locale locale) {
                try {
                    return read.apply(input);
                } catch (IllegalArgumentException e) {
                    throw new CoercingParseValueException(e.getMessage());
                }
            }

            @Override
            public T parseLiteral(Value<?> input, CoercedVariables variables, GraphQLContext context, Locale locale) {
                Object value = switch (input) {
                    case StringValue string -> string.getValue();
                    case IntValue integer -> integer.getValue();
                    default -> input;
                };
                try {
                    return read.apply(value);
                } catch (IllegalArgumentException e) {
                    throw new CoercingParseLiteralException(e.getMessage());
                }
            }

            @Override
            public Value<?> valueToLiteral(Object input, GraphQLContext context, Locale locale) {
                return StringValue.newStringValue(write.apply(type.cast(input))).build();
            }
        }).build();
    }
}
