package dev.cqrs.core;

import java.util.List;
import java.util.Optional;

/** Appends events to the streams of one aggregate type. */
public interface EventSink<E> {

    /** The aggregate type whose streams this sink writes. */
    String aggregateType();

    /**
     * Appends events to a stream, all or none, after checking {@code precondition} atomically with the
     * write. When {@code metadata} carries an idempotency key that an earlier append used, nothing is
     * written and that append's result comes back with {@link AppendResult#replayed()} set.
     *
     * @param precondition what must hold of the stream, or empty to append whatever its version
     * @return the numbers and global positions of what was written
     * @throws PreconditionFailedException when the precondition does not hold (also when a concurrent
     *                                     writer won the race); nothing was written
     * @throws IllegalArgumentException    when {@code events} is empty or an id or event is not valid
     * @throws EventStoreException         when the store failed; nothing was written
     */
    AppendResult append(String aggregateId, List<? extends E> events, Optional<Precondition> precondition,
                        CommandMetadata metadata);

    /** The result of the earlier append that carried this idempotency key, if any. */
    Optional<AppendResult> findAppend(String idempotencyKey);
}
