package dev.cqrs.core.contract;

import dev.cqrs.core.Tag;
import dev.cqrs.core.codec.CodecException;
import dev.cqrs.core.codec.EncodedEvent;
import dev.cqrs.core.codec.EventCodec;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A codec for {@link TaggedContractEvent}s, for stores that keep bytes: the text, a newline, and the
 * tags comma-separated (the event's own fields; the store keeps its tags beside the payload as well).
 */
public final class TaggedContractCodecs {

    public static final String CONTENT_TYPE = "text/x-tagged-contract";

    private TaggedContractCodecs() {
    }

    public static EventCodec<TaggedContractEvent> events() {
        return new EventCodec<>() {
            @Override
            public EncodedEvent encode(TaggedContractEvent event) {
                String tags = event.eventTags().stream().map(Tag::text).sorted().collect(Collectors.joining(","));
                return new EncodedEvent(event.eventType(), CONTENT_TYPE,
                        (event.text() + "\n" + tags).getBytes(StandardCharsets.UTF_8));
            }

            @Override
            public TaggedContractEvent decode(EncodedEvent encoded) {
                String payload = new String(encoded.payload(), StandardCharsets.UTF_8);
                int newline = payload.lastIndexOf('\n');
                if (newline < 0) {
                    throw new CodecException("not a tagged contract event: " + payload);
                }
                String text = payload.substring(0, newline);
                String tagList = payload.substring(newline + 1);
                Set<Tag> tags = tagList.isEmpty() ? Set.of()
                        : Arrays.stream(tagList.split(",")).map(Tag::of).collect(Collectors.toSet());
                return switch (encoded.eventType()) {
                    case "Opened" -> new TaggedContractEvent.Opened(text, tags);
                    case "Noted" -> new TaggedContractEvent.Noted(text, tags);
                    case "Closed" -> new TaggedContractEvent.Closed(text, tags);
                    case "Plain" -> new TaggedContractEvent.Plain(text);
                    default -> throw new CodecException("unknown tagged contract event type '" + encoded.eventType() + "'");
                };
            }
        };
    }
}
