package dev.cqrs.core.memory;

import dev.cqrs.core.AppendResult;
import dev.cqrs.core.Before;
import dev.cqrs.core.CommandMetadata;
import dev.cqrs.core.Event;
import dev.cqrs.core.EventMetadata;
import dev.cqrs.core.EventNumber;
import dev.cqrs.core.EventStore;
import dev.cqrs.core.Names;
import dev.cqrs.core.Precondition;
import dev.cqrs.core.Since;
import dev.cqrs.core.StreamId;
import dev.cqrs.core.Version;
import dev.cqrs.core.VersionedEventWithMetadata;
import dev.cqrs.core.dcb.AppendCondition;
import dev.cqrs.core.dcb.AppendConditionFailed;
import dev.cqrs.core.dcb.AppendConditionFailedException;
import dev.cqrs.core.dcb.DcbEventStore;
import dev.cqrs.core.dcb.MatchingEvents;
import dev.cqrs.core.dcb.Query;
import dev.cqrs.core.dcb.SequencedEvent;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * A thread-safe event store in memory, for tests and prototypes. Events are kept as objects (no codec).
 *
 * <p>Every append holds the store's lock while it checks the precondition and the idempotency key and
 * adds the events, so the check is atomic with the write: of two concurrent appends expecting the same
 * version, exactly one succeeds. It compares the precondition with the stream's <em>current</em>
 * version (the seed's memory store compared the next one).
 *
 * <p>It is also a {@link DcbEventStore}: the events of all its streams are kept in one log, in
 * position order, with their tags; a query reads that log, and an append condition is checked on it
 * under the same lock as the append. A read covers every position up to the last one written, since
 * an append is visible whole or not at all.
 */
public final class MemoryEventStore<E extends Event> implements EventStore<E>, DcbEventStore<E> {

    private final String aggregateType;
    private final Clock clock;
    private final Object lock = new Object();
    private final Map<String, List<VersionedEventWithMetadata<E>>> streams = new HashMap<>();
    private final Map<String, AppendResult> appendsByIdempotencyKey = new HashMap<>();
    /** Every event of every stream, in position order: what queries read. */
    private final List<SequencedEvent<E>> log = new ArrayList<>();
    private long lastPosition;

    private MemoryEventStore(String aggregateType, Clock clock) {
        Names.checkVerbatim("aggregate type", aggregateType, StreamId.MAX_TYPE_LENGTH);
        this.aggregateType = aggregateType;
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    public static <E extends Event> MemoryEventStore<E> create(String aggregateType) {
        return new MemoryEventStore<>(aggregateType, Clock.systemUTC());
    }

    public static <E extends Event> MemoryEventStore<E> create(String aggregateType, Clock clock) {
        return new MemoryEventStore<>(aggregateType, clock);
    }

    @Override
    public String aggregateType() {
        return aggregateType;
    }

    @Override
    public List<VersionedEventWithMetadata<E>> readEvents(String aggregateId, Since since, int maxCount) {
        StreamId.of(aggregateType, aggregateId);
        checkMaxCount(maxCount);
        synchronized (lock) {
            List<VersionedEventWithMetadata<E>> stream = streams.getOrDefault(aggregateId, List.of());
            long from = Math.min(since.afterNumber(), stream.size());
            long to = Math.min(stream.size(), from + maxCount);
            return List.copyOf(stream.subList((int) from, (int) to));
        }
    }

    @Override
    public List<VersionedEventWithMetadata<E>> readEventsBackward(String aggregateId, Before before, int maxCount) {
        StreamId.of(aggregateType, aggregateId);
        checkMaxCount(maxCount);
        synchronized (lock) {
            List<VersionedEventWithMetadata<E>> stream = streams.getOrDefault(aggregateId, List.of());
            int end = (int) Math.min(stream.size(), before.beforeNumber() - 1);
            List<VersionedEventWithMetadata<E>> out = new ArrayList<>();
            for (int i = end - 1; i >= 0 && out.size() < maxCount; i--) {
                out.add(stream.get(i));
            }
            return List.copyOf(out);
        }
    }

    @Override
    public Optional<Version> currentVersion(String aggregateId) {
        StreamId.of(aggregateType, aggregateId);
        synchronized (lock) {
            List<VersionedEventWithMetadata<E>> stream = streams.get(aggregateId);
            return stream == null ? Optional.empty() : Optional.of(Version.of(stream.size()));
        }
    }

    @Override
    public AppendResult append(String aggregateId, List<? extends E> events, Optional<Precondition> precondition,
                               CommandMetadata metadata) {
        return append(aggregateId, events, precondition, Optional.empty(), metadata);
    }

    @Override
    public AppendResult append(String aggregateId, List<? extends E> events, Optional<Precondition> precondition,
                               Optional<AppendCondition> condition, CommandMetadata metadata) {
        StreamId stream = StreamId.of(aggregateType, aggregateId);
        Objects.requireNonNull(precondition, "precondition");
        Objects.requireNonNull(condition, "condition");
        Objects.requireNonNull(metadata, "metadata");
        if (events.isEmpty()) {
            throw new IllegalArgumentException("nothing to append to " + stream + ": the event list is empty");
        }
        for (E event : events) {
            Objects.requireNonNull(event, "event");
            Names.checkVerbatim("event type", event.eventType(), StreamId.MAX_TYPE_LENGTH);
            Objects.requireNonNull(event.eventTags(), "eventTags");
        }
        synchronized (lock) {
            Optional<AppendResult> earlier = metadata.idempotencyKey().map(appendsByIdempotencyKey::get);
            if (earlier.isPresent()) {
                return earlier.get().asReplay();
            }
            condition.ifPresent(c -> verify(stream, c));
            List<VersionedEventWithMetadata<E>> existing = streams.get(aggregateId);
            Optional<Version> current = existing == null ? Optional.empty() : Optional.of(Version.of(existing.size()));
            precondition.ifPresent(p -> p.verify(stream, current));

            List<VersionedEventWithMetadata<E>> target = streams.computeIfAbsent(aggregateId, id -> new ArrayList<>());
            long firstPosition = lastPosition + 1;
            EventNumber first = Version.of(target.size()).next();
            var recordedAt = clock.instant();
            for (E event : events) {
                EventNumber number = Version.of(target.size()).next();
                EventMetadata eventMetadata = EventMetadata.of(UUID.randomUUID(), metadata, recordedAt);
                target.add(new VersionedEventWithMetadata<>(number, event, eventMetadata));
                lastPosition++;
                log.add(new SequencedEvent<>(lastPosition, stream, number, event, event.eventTags(), eventMetadata));
            }
            AppendResult result = new AppendResult(stream, first, EventNumber.of(target.size()), firstPosition,
                    lastPosition, false);
            metadata.idempotencyKey().ifPresent(k -> appendsByIdempotencyKey.put(k, result));
            return result;
        }
    }

    /** Fails unless no event after the condition's position matches its query. Holds the lock. */
    private void verify(StreamId stream, AppendCondition condition) {
        int from = firstIndexAfter(condition.after());
        for (int i = from; i < log.size(); i++) {
            SequencedEvent<E> event = log.get(i);
            if (condition.failIfEventsMatch().matches(event.event().eventType(), event.tags())) {
                throw new AppendConditionFailedException(new AppendConditionFailed(stream, condition,
                        new AppendConditionFailed.Found(event.position(), event.stream(), event.sequence(),
                                event.event().eventType(), event.tags())));
            }
        }
    }

    @Override
    public MatchingEvents<E> read(Query query, long after, int maxCount) {
        Objects.requireNonNull(query, "query");
        if (after < 0) {
            throw new IllegalArgumentException("the position to read after must not be negative: " + after);
        }
        checkMaxCount(maxCount);
        synchronized (lock) {
            List<SequencedEvent<E>> found = new ArrayList<>();
            for (int i = firstIndexAfter(after); i < log.size(); i++) {
                SequencedEvent<E> event = log.get(i);
                if (query.matches(event.event().eventType(), event.tags())) {
                    if (found.size() == maxCount) {
                        return new MatchingEvents<>(query, found, found.isEmpty() ? after : found.getLast().position());
                    }
                    found.add(event);
                }
            }
            return new MatchingEvents<>(query, found, Math.max(after, lastPosition));
        }
    }

    /** The index in the log of the first event after {@code position}; positions are 1, 2, 3, ... */
    private int firstIndexAfter(long position) {
        return (int) Math.min(position, log.size());
    }

    @Override
    public Optional<AppendResult> findAppend(String idempotencyKey) {
        synchronized (lock) {
            return Optional.ofNullable(appendsByIdempotencyKey.get(idempotencyKey)).map(AppendResult::asReplay);
        }
    }

    static void checkMaxCount(int maxCount) {
        if (maxCount < 0) {
            throw new IllegalArgumentException("maxCount must not be negative: " + maxCount);
        }
    }
}
