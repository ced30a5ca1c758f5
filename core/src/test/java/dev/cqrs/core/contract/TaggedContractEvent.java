package dev.cqrs.core.contract;

import dev.cqrs.core.Event;
import dev.cqrs.core.Tag;
import java.util.Set;

/**
 * The events the DCB store contract writes: three tagged types (their tags are a field, so every
 * combination can be written) and one untagged, as an aggregate's plain events are.
 */
public sealed interface TaggedContractEvent extends Event {

    String text();

    record Opened(String text, Set<Tag> tags) implements TaggedContractEvent {
        public Opened {
            tags = Tag.sorted(tags);
        }

        @Override
        public Set<Tag> eventTags() {
            return tags;
        }
    }

    record Noted(String text, Set<Tag> tags) implements TaggedContractEvent {
        public Noted {
            tags = Tag.sorted(tags);
        }

        @Override
        public Set<Tag> eventTags() {
            return tags;
        }
    }

    record Closed(String text, Set<Tag> tags) implements TaggedContractEvent {
        public Closed {
            tags = Tag.sorted(tags);
        }

        @Override
        public Set<Tag> eventTags() {
            return tags;
        }
    }

    /** No tags: {@link Event#eventTags()}'s default. */
    record Plain(String text) implements TaggedContractEvent {
    }

    static Set<Tag> tags(String... tags) {
        return java.util.Arrays.stream(tags).map(Tag::of).collect(java.util.stream.Collectors.toSet());
    }
}
