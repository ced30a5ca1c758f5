package dev.cqrs.core;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Keeps credentials out of messages and logs. A connection URL may carry a password (in its user-info,
 * {@code //user:secret@host}, or as a parameter, {@code ?password=secret}); every message that names a URL
 * names it through {@link #url}, and a message that may quote a URL it did not make (a library's
 * exception) goes through {@link #scrub} with the URL it was given.
 */
public final class Redaction {

    /** What a secret is replaced with. */
    public static final String HIDDEN = "***";

    private static final Pattern SECRET_PARAMETER =
            Pattern.compile("(?i)([?&;](?:password|passwd|pwd|sslpassword|sslkey|secret|token)=)([^&;#]*)");
    private static final Pattern USER_INFO_PASSWORD = Pattern.compile("(//[^/@:?#]*:)([^/@?#]*)(@)");

    private Redaction() {
    }

    /** The URL with every password in it replaced by {@value #HIDDEN}. */
    public static String url(String url) {
        if (url == null) {
            return null;
        }
        String noParameters = SECRET_PARAMETER.matcher(url).replaceAll("$1" + Matcher.quoteReplacement(HIDDEN));
        return USER_INFO_PASSWORD.matcher(noParameters).replaceAll("$1" + Matcher.quoteReplacement(HIDDEN) + "$3");
    }

    /** The secrets a URL carries (passwords in its user-info or parameters), for {@link #scrub}. */
    public static List<String> secretsOf(String url) {
        List<String> secrets = new ArrayList<>();
        if (url == null) {
            return secrets;
        }
        Matcher parameters = SECRET_PARAMETER.matcher(url);
        while (parameters.find()) {
            if (!parameters.group(2).isEmpty()) {
                secrets.add(parameters.group(2));
            }
        }
        Matcher userInfo = USER_INFO_PASSWORD.matcher(url);
        while (userInfo.find()) {
            if (!userInfo.group(2).isEmpty()) {
                secrets.add(userInfo.group(2));
            }
        }
        return secrets;
    }

    /**
     * {@code text} with {@code url} and every secret in it hidden: for messages of other libraries that may
     * quote the URL they were given.
     */
    public static String scrub(String text, String url) {
        if (text == null || url == null) {
            return text;
        }
        String scrubbed = text.replace(url, url(url));
        for (String secret : secretsOf(url)) {
            scrubbed = scrubbed.replace(secret, HIDDEN);
        }
        return scrubbed;
    }

    /**
     * An exception carrying {@code e}'s message scrubbed of {@code url}'s secrets (and its causes' messages,
     * summarised), with {@code e}'s stack trace but not {@code e} itself: a logged stack trace would print the
     * original messages.
     */
    public static RuntimeException scrubbed(String message, Throwable e, String url) {
        StringBuilder causes = new StringBuilder();
        for (Throwable cause = e; cause != null && causes.length() < 2_000; cause = cause.getCause() == cause ? null : cause.getCause()) {
            causes.append(causes.isEmpty() ? "" : "; caused by ").append(cause.getClass().getSimpleName()).append(": ")
                    .append(cause.getMessage());
        }
        EventStoreException clean = new EventStoreException(scrub(message + " (" + causes + ")", url));
        clean.setStackTrace(e.getStackTrace());
        return clean;
    }
}
