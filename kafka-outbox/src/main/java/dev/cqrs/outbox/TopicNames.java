package dev.cqrs.outbox;

import dev.cqrs.core.Sha256;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The topic of each aggregate type, from a pattern such as {@code events.{aggregateType}}. Aggregate
 * types are stored verbatim and may hold characters Kafka does not allow in topic names; those are
 * replaced by {@code _} and a short hash of the type is appended, so two types never share a topic.
 */
final class TopicNames {

    static final String PLACEHOLDER = "{aggregateType}";
    private static final Pattern LEGAL = Pattern.compile("[a-zA-Z0-9._-]+");
    private static final int MAX_LENGTH = 249;

    private final String pattern;
    private final Map<String, String> cache = new ConcurrentHashMap<>();

    TopicNames(String pattern) {
        if (!pattern.contains(PLACEHOLDER)) {
            throw new IllegalArgumentException("the topic pattern '" + pattern + "' must contain " + PLACEHOLDER);
        }
        String sample = pattern.replace(PLACEHOLDER, "x");
        if (!LEGAL.matcher(sample).matches()) {
            throw new IllegalArgumentException("the topic pattern '" + pattern
                    + "' may only hold letters, digits, '.', '_' and '-' besides " + PLACEHOLDER);
        }
        this.pattern = pattern;
    }

    String topicOf(String aggregateType) {
        return cache.computeIfAbsent(aggregateType, this::name);
    }

    private String name(String aggregateType) {
        String topic = pattern.replace(PLACEHOLDER, aggregateType);
        if (LEGAL.matcher(topic).matches() && topic.length() <= MAX_LENGTH && !topic.equals(".") && !topic.equals("..")) {
            return topic;
        }
        String safe = aggregateType.replaceAll("[^a-zA-Z0-9._-]", "_");
        String hash = hash(aggregateType);
        topic = pattern.replace(PLACEHOLDER, safe + "-" + hash);
        if (topic.length() > MAX_LENGTH) {
            topic = pattern.replace(PLACEHOLDER, hash);
        }
        return topic;
    }

    private static String hash(String text) {
        return HexFormat.of().formatHex(Sha256.of(text), 0, 4);
    }
}
