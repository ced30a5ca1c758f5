package dev.cqrs.core.dcb;

import dev.cqrs.core.AppendResult;
import dev.cqrs.core.CommandMetadata;
import dev.cqrs.core.Precondition;
import java.util.List;
import java.util.Optional;

/**
 * Appends events under an {@link AppendCondition}. Every event still belongs to a stream (an aggregate
 * id of the sink's aggregate type): that is its key on Kafka and the unit of order its consumers see.
 */
public interface DcbEventSink<E> {

    /** The aggregate type whose streams this sink writes. */
    String aggregateType();

    /**
     * Appends events to a stream, all or none, after checking {@code condition} and {@code precondition}
     * atomically with the write. The events' tags ({@link dev.cqrs.core.Event#eventTags()}) are stored with
     * them. When {@code metadata} carries an idempotency key that an earlier append used, nothing is
     * written and that append's result comes back with {@link AppendResult#replayed()} set, whatever the
     * condition says now.
     *
     * @param precondition what must hold of the stream itself, or empty
     * @param condition    what must hold of the events matching a query, or empty
     * @throws AppendConditionFailedException when the condition does not hold (also when a concurrent
     *                                        writer won the race); nothing was written
     * @throws dev.cqrs.core.PreconditionFailedException when the precondition does not hold; nothing was written
     * @throws IllegalArgumentException when {@code events} is empty or an id, event or tag is not valid
     * @throws dev.cqrs.core.EventStoreException when the store failed; nothing was written
     */
    AppendResult append(String aggregateId, List<? extends E> events, Optional<Precondition> precondition,
                        Optional<AppendCondition> condition, CommandMetadata metadata);

    /** Appends events to a stream if {@code condition} holds; see the general form. */
    default AppendResult append(String aggregateId, List<? extends E> events, AppendCondition condition,
                                CommandMetadata metadata) {
        return append(aggregateId, events, Optional.empty(), Optional.of(condition), metadata);
    }

    /** The result of the earlier append that carried this idempotency key, if any. */
    Optional<AppendResult> findAppend(String idempotencyKey);
}
