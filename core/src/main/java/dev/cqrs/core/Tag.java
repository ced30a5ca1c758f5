package dev.cqrs.core;

import java.util.Collection;
import java.util.Collections;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * A label that the domain puts on an event so that decisions and projections can find it across
 * streams: usually the kind and id of something the event is about, {@code course:c1},
 * {@code student:s7}, {@code username:alice}. The store treats it as an opaque string; the
 * {@code key:value} shape is a convention that {@link #of(String, String)}, {@link #key()} and
 * {@link #value()} support.
 *
 * <p>An event's tags come from the event itself ({@link Event#eventTags()}), chosen by the domain, never
 * derived from class names. Tags follow the rules of every name a store keeps verbatim (not blank, no
 * control characters, at most {@value #MAX_LENGTH} characters) and must not contain a comma: Kafka
 * records carry an event's tags as one comma-separated header ({@code cqrs-tags}).
 *
 * @param text the whole tag, e.g. {@code course:c1}
 */
public record Tag(String text) implements Comparable<Tag> {

    /** The longest tag accepted, in characters. */
    public static final int MAX_LENGTH = 300;
    /** Separates {@link #key()} and {@link #value()} in a tag made by {@link #of(String, String)}. */
    public static final char SEPARATOR = ':';

    public Tag {
        Names.checkVerbatim("tag", text, MAX_LENGTH);
        if (text.indexOf(',') >= 0) {
            throw new StreamId.InvalidNameException("tag '" + text + "' must not contain a comma"
                    + " (records carry tags as one comma-separated header)");
        }
    }

    /** A tag as it is written, e.g. {@code Tag.of("course:c1")}. */
    public static Tag of(String text) {
        return new Tag(text);
    }

    /** The tag {@code key:value}, e.g. {@code Tag.of("course", "c1")} is {@code course:c1}. */
    public static Tag of(String key, String value) {
        Names.checkVerbatim("tag key", key, MAX_LENGTH);
        if (key.indexOf(SEPARATOR) >= 0) {
            throw new StreamId.InvalidNameException("tag key '" + key + "' must not contain '" + SEPARATOR + "'");
        }
        Objects.requireNonNull(value, "tag value");
        return new Tag(key + SEPARATOR + value);
    }

    /**
     * The tags, unmodifiable, iterating in sorted order, without duplicates: the order in which stores
     * and records keep them. Cheap for the common cases of no tag and one tag.
     */
    public static Set<Tag> sorted(Collection<Tag> tags) {
        Objects.requireNonNull(tags, "tags");
        return switch (tags.size()) {
            case 0 -> Set.of();
            case 1 -> Set.of(Objects.requireNonNull(tags.iterator().next(), "tag"));
            default -> Collections.unmodifiableSortedSet(new TreeSet<>(tags));
        };
    }

    /** The part before the first {@code ':'}, or the whole tag when it has none. */
    public String key() {
        int colon = text.indexOf(SEPARATOR);
        return colon < 0 ? text : text.substring(0, colon);
    }

    /** The part after the first {@code ':'}, or empty when the tag has none. */
    public Optional<String> value() {
        int colon = text.indexOf(SEPARATOR);
        return colon < 0 ? Optional.empty() : Optional.of(text.substring(colon + 1));
    }

    /** Whether this tag is {@code key:...}. */
    public boolean hasKey(String key) {
        return text.length() > key.length() && text.startsWith(key) && text.charAt(key.length()) == SEPARATOR;
    }

    /** The value of the first of {@code tags} whose key is {@code key}, in sorted order. */
    public static Optional<String> valueOf(Collection<Tag> tags, String key) {
        return new TreeSet<>(tags).stream().filter(t -> t.hasKey(key)).findFirst().flatMap(Tag::value);
    }

    @Override
    public int compareTo(Tag other) {
        return text.compareTo(other.text);
    }

    @Override
    public String toString() {
        return text;
    }
}
