package dev.cqrs.core;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The two kinds of names the platform checks, each checked here alone: names a store keeps verbatim
 * (aggregate types and ids, event types, tags, idempotency keys), and lower-case identifiers that code
 * writes into SQL unquoted (schema and table names).
 */
public final class Names {

    private static final Pattern LOWER_CASE_IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]*");

    private Names() {
    }

    /**
     * Checks a name that a store keeps verbatim: aggregate types and ids, event types, tags, idempotency keys.
     *
     * @throws StreamId.InvalidNameException when it is empty, blank, too long or holds a control character or
     *                                       broken Unicode
     */
    public static String checkVerbatim(String what, String value, int maxLength) {
        Objects.requireNonNull(value, what);
        if (value.isBlank()) {
            throw new StreamId.InvalidNameException(what + " must not be empty or blank");
        }
        if (value.length() > maxLength) {
            throw new StreamId.InvalidNameException(what + " is " + value.length() + " characters long; the limit is " + maxLength);
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isISOControl(c) || Character.isSurrogate(c) && !validSurrogateAt(value, i)) {
                throw new StreamId.InvalidNameException(what + " must not contain control characters or broken Unicode (at index "
                        + i + ")");
            }
        }
        return value;
    }

    /**
     * Whether {@code value} is a lower-case identifier of at most {@code maxLength} characters: a-z, 0-9 and _,
     * not starting with a digit. Such a name is safe to write into SQL unquoted, and means the same there.
     */
    public static boolean isLowerCaseIdentifier(String value, int maxLength) {
        return value != null && value.length() <= maxLength && LOWER_CASE_IDENTIFIER.matcher(value).matches();
    }

    private static boolean validSurrogateAt(String value, int i) {
        char c = value.charAt(i);
        if (Character.isHighSurrogate(c)) {
            return i + 1 < value.length() && Character.isLowSurrogate(value.charAt(i + 1));
        }
        return i > 0 && Character.isHighSurrogate(value.charAt(i - 1));
    }
}
