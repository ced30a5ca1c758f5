package dev.cqrs.embedded.postgres;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/** Unique database and schema names that are valid unquoted identifiers, whatever the prefix. */
final class DatabaseNames {

    /** PostgreSQL truncates identifiers longer than NAMEDATALEN - 1 = 63 bytes. */
    static final int MAX_LENGTH = 63;

    private static final AtomicLong COUNTER = new AtomicLong();
    private static final SecureRandom RANDOM = new SecureRandom();

    private DatabaseNames() {
    }

    /**
     * {@code prefix} in lower case with every run of characters outside {@code [a-z0-9_]} turned
     * into one underscore, then a counter and random hex, so that names stay unique across JVMs
     * that share an external server.
     */
    static String unique(String prefix) {
        String base = prefix.toLowerCase(Locale.ROOT)
                .replaceAll("[^a-z0-9_]+", "_")
                .replaceAll("^_+|_+$", "");
        if (base.isEmpty() || !Character.isLetter(base.charAt(0))) {
            base = base.isEmpty() ? "db" : "db_" + base;
        }
        byte[] random = new byte[4];
        RANDOM.nextBytes(random);
        String suffix = "_" + COUNTER.incrementAndGet() + "_" + HexFormat.of().formatHex(random);
        return base.substring(0, Math.min(base.length(), MAX_LENGTH - suffix.length())) + suffix;
    }
}
