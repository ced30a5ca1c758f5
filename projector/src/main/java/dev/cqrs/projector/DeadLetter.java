package dev.cqrs.projector;

import dev.cqrs.core.RawEvent;
import java.util.Optional;

/**
 * An event that a projection or reactor set aside.
 *
 * @param offset   its offset in the dead-letter topic
 * @param source   where it came from, {@code topic-partition@offset}
 * @param stage    what failed: DECODE, HANDLER, SQL or REACTION
 * @param error    the error, with its stack trace
 * @param event    the event, when its headers are readable
 * @param key      the record key (the aggregate id)
 * @param value    the record value as it was
 */
public record DeadLetter(long offset, String source, String stage, String error, String failedAt,
                         Optional<RawEvent> event, String key, byte[] value) {
}
