package dev.cqrs.todo.api;

import dev.cqrs.core.Sha256;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The API tokens that mutations need, when any are configured: {@code subject:token} pairs separated by
 * commas (e.g. {@code alice:4a9c...,ci-bot:77e0...}); a bare {@code token} has the subject
 * {@value #DEFAULT_SUBJECT}. The subject becomes the commands' {@code initiatedBy}. Tokens are compared
 * by their SHA-256 digests in constant time.
 */
public final class ApiTokens {

    /** The subject of a token configured without one. */
    public static final String DEFAULT_SUBJECT = "api-client";
    /** The subject of every command when no token is configured. */
    public static final String ANONYMOUS = "anonymous";
    static final int MIN_TOKEN_LENGTH = 16;
    private static final Pattern SUBJECT = Pattern.compile("[A-Za-z0-9._@-]{1,64}");
    private static final Pattern TOKEN = Pattern.compile("[\\x21-\\x7e]{" + MIN_TOKEN_LENGTH + ",512}");

    private record Entry(String subject, byte[] digest) {
    }

    private final List<Entry> entries;

    private ApiTokens(List<Entry> entries) {
        this.entries = List.copyOf(entries);
    }

    /** No tokens: mutations are open to anyone, as {@value #ANONYMOUS}. */
    public static ApiTokens none() {
        return new ApiTokens(List.of());
    }

    /**
     * @param spec {@code subject:token,...}; blank for none
     * @throws IllegalArgumentException naming the bad entry (by position, never by its token)
     */
    public static ApiTokens parse(String spec) {
        List<Entry> entries = new ArrayList<>();
        if (spec.isBlank()) {
            return none();
        }
        String[] parts = spec.split(",", -1);
        for (int i = 0; i < parts.length; i++) {
            String part = parts[i].strip();
            int colon = part.indexOf(':');
            String subject = colon < 0 ? DEFAULT_SUBJECT : part.substring(0, colon);
            String token = colon < 0 ? part : part.substring(colon + 1);
            if (!SUBJECT.matcher(subject).matches()) {
                throw new IllegalArgumentException("token " + (i + 1) + ": the subject must be 1-64 letters, digits, '.', '_', '@' or '-'");
            }
            if (!TOKEN.matcher(token).matches()) {
                throw new IllegalArgumentException("token " + (i + 1) + " (" + subject + "): a token must be "
                        + MIN_TOKEN_LENGTH + "-512 printable characters without spaces or commas");
            }
            entries.add(new Entry(subject, digest(token)));
        }
        return new ApiTokens(entries);
    }

    /** Whether mutations need a token. */
    public boolean required() {
        return !entries.isEmpty();
    }

    /** The subject of this token, if it is one of ours. */
    public Optional<String> subjectOf(String token) {
        byte[] digest = digest(token);
        String found = null;
        for (Entry entry : entries) {
            if (MessageDigest.isEqual(entry.digest, digest)) {
                found = entry.subject;
            }
        }
        return Optional.ofNullable(found);
    }

    private static byte[] digest(String token) {
        return Sha256.of(token);
    }
}
