package dev.cqrs.core;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** The platform's one SHA-256: of a text's UTF-8 bytes (lock keys, topic name suffixes, API token digests). */
public final class Sha256 {

    private Sha256() {
    }

    /** The 32-byte SHA-256 digest of {@code text} as UTF-8. */
    public static byte[] of(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            // Every Java platform must provide SHA-256 (MessageDigest's documentation).
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
