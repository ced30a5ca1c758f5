package dev.cqrs.core.memory;

import dev.cqrs.core.AppendResult;
import dev.cqrs.core.Before;
import dev.cqrs.core.CommandMetadata;
import dev.cqrs.core.Event;
import dev.cqrs.core.EventMetadata;
import dev.cqrs.core.EventNumber;
import dev.cqrs.core.EventStore;
import dev.cqrs.core.Precondition;
import dev.cqrs.core.Since;
import dev.cqrs.core.StreamId;
import dev.cqrs.core.Version;
import dev.cqrs.core.VersionedEventWithMetadata;
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
 */
public final class MemoryEventStore<E extends Event> implements EventStore<E> {

    private final String aggregateType;
    private final Clock clock;
    private final Object lock = new Object();
    private final Map<String, List<VersionedEventWithMetadata<E>>> streams = new HashMap<>();
    private final Map<String, AppendResult> appendsByIdempotencyKey = new HashMap<>();
    private long lastPosition;

    private MemoryEventStore(String aggregateType, Clock clock) {
        StreamId.checkName("aggregate type", aggregateType, StreamId.MAX_TYPE_LENGTH);
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
        StreamId stream = StreamId.of(aggregateType, aggregateId);
        Objects.requireNonNull(precondition, "precondition");
        Objects.requireNonNull(metadata, "metadata");
        if (events.isEmpty()) {
            throw new IllegalArgumentException("nothing to append to " + stream + ": the event list is empty");
        }
        for (E event : events) {
            Objects.requireNonNull(event, "event");
            StreamId.checkName("event type", event.eventType(), StreamId.MAX_TYPE_LENGTH);
        }
        synchronized (lock) {
            Optional<AppendResult> earlier = metadata.idempotencyKey().map(appendsByIdempotencyKey::get);
            if (earlier.isPresent()) {
                return earlier.get().asReplay();
            }
            List<VersionedEventWithMetadata<E>> existing = streams.get(aggregateId);
            Optional<Version> current = existing == null ? Optional.empty() : Optional.of(Version.of(existing.size()));
            precondition.ifPresent(p -> p.verify(stream, current));

            List<VersionedEventWithMetadata<E>> target = streams.computeIfAbsent(aggregateId, id -> new ArrayList<>());
            long firstPosition = lastPosition + 1;
            EventNumber first = Version.of(target.size()).next();
            var recordedAt = clock.instant();
            for (E event : events) {
                EventNumber number = Version.of(target.size()).next();
                target.add(new VersionedEventWithMetadata<>(number,
                        event, EventMetadata.of(UUID.randomUUID(), metadata, recordedAt)));
                lastPosition++;
            }
            AppendResult result = new AppendResult(stream, first, EventNumber.of(target.size()), firstPosition,
                    lastPosition, false);
            metadata.idempotencyKey().ifPresent(k -> appendsByIdempotencyKey.put(k, result));
            return result;
        }
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
