package dev.cqrs.core.entity;

import dev.cqrs.core.Aggregate;
import dev.cqrs.core.AppendResult;
import dev.cqrs.core.CommandMetadata;
import dev.cqrs.core.CommandResult;
import dev.cqrs.core.EntitySource;
import dev.cqrs.core.Event;
import dev.cqrs.core.EventStore;
import dev.cqrs.core.HydratedAggregate;
import dev.cqrs.core.Rejection;
import dev.cqrs.core.Since;
import dev.cqrs.core.StreamId;
import dev.cqrs.core.Version;
import dev.cqrs.core.VersionedEvent;
import java.util.List;
import java.util.Optional;

/**
 * The command flow's answer to an idempotency key it has seen: the first command's result again. The truth
 * is the append's own atomic check (the store records the key in the appending statement and answers a
 * used key with the first append, {@link AppendResult#replayed()}); this class turns either sighting, the
 * look-up before loading or a replayed append, into one result, so the rule lives here alone.
 */
final class IdempotentReplay<S, E extends Event> {

    private final Aggregate<S, ?, E> aggregate;
    private final EventStore<? extends E> events;
    private final EntitySource<S> source;

    IdempotentReplay(Aggregate<S, ?, E> aggregate, EventStore<? extends E> events, EntitySource<S> source) {
        this.aggregate = aggregate;
        this.events = events;
        this.source = source;
    }

    /**
     * The first result of the command's idempotency key, when it has one that was used: looked up before
     * loading, so a retried command is not decided again on the state its first run left.
     */
    Optional<CommandResult<S, E>> earlier(StreamId stream, CommandMetadata metadata) {
        return metadata.idempotencyKey().flatMap(events::findAppend).map(first -> of(stream, first));
    }

    /**
     * The first result of a key: the events its append wrote, and the aggregate as it is now. A key first used
     * for another aggregate type is a client error, rejected as {@link Rejection#IDEMPOTENCY_KEY_REUSED}.
     */
    CommandResult<S, E> of(StreamId stream, AppendResult first) {
        if (!first.stream().aggregateType().equals(aggregate.aggregateType())) {
            return new CommandResult.Rejected<>(stream, Rejection.idempotencyKeyReused(first.stream()));
        }
        String firstId = first.stream().aggregateId();
        List<VersionedEvent<E>> written = events.readEventsWithoutMetadata(firstId,
                        Since.version(Version.of(first.firstSequence().value() - 1)), first.eventCount())
                .stream()
                .map(e -> new VersionedEvent<E>(e.sequence(), e.event()))
                .toList();
        HydratedAggregate<S> now = source.rehydrate(firstId)
                .orElseGet(() -> HydratedAggregate.initial(aggregate.initialState()));
        return new CommandResult.Accepted<>(first.stream(), now, written, Optional.of(first.asReplay()));
    }
}
