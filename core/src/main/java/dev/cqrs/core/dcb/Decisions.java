package dev.cqrs.core.dcb;

import dev.cqrs.core.AppendResult;
import dev.cqrs.core.CommandMetadata;
import dev.cqrs.core.Decision;
import dev.cqrs.core.Event;
import dev.cqrs.core.Rejection;
import dev.cqrs.core.StreamId;
import dev.cqrs.core.entity.CompositeEntityStore;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a {@link Decider}'s decisions against a {@link DcbEventStore}, the way
 * {@link CompositeEntityStore} runs an aggregate's commands:
 *
 * <ol>
 *   <li>an idempotency key seen before returns the first result at once;</li>
 *   <li>read the events matching {@link Decider#query}, and the position the read covers;</li>
 *   <li>fold them into the state, decide; a rejection or "nothing changes" ends here, writing nothing;</li>
 *   <li>append the events to {@link Decider#streamOf}, on condition that nothing matching the query was
 *       appended after the read's position, checked atomically with the append;</li>
 *   <li>when the condition fails, start again from step 2, up to {@link #retryOnConflict} times; after
 *       the last, the result is a {@link DecisionResult.Conflict} naming the event that got in between.</li>
 * </ol>
 *
 * <pre>{@code
 * Decisions<Subscription, Subscribe, CourseEvent> subscribe = Decisions.of(new SubscribeStudent(), courses)
 *         .retryOnConflict(5);
 * switch (subscribe.execute(new Subscribe("s7", "c1"), CommandMetadata.create())) {
 *     case DecisionResult.Accepted<Subscription, CourseEvent> a -> ...
 *     case DecisionResult.Rejected<Subscription, CourseEvent> r -> ... r.rejection().code() ...
 *     case DecisionResult.Conflict<Subscription, CourseEvent> c -> ... c.failure().message() ...
 * }
 * }</pre>
 *
 * Immutable and thread-safe; {@link #retryOnConflict} returns a new instance.
 */
public final class Decisions<S, C, E extends Event> {

    private static final Logger log = LoggerFactory.getLogger(Decisions.class);

    private final Decider<S, C, E> decider;
    private final DcbEventStore<E> store;
    private final int conflictRetries;

    private Decisions(Decider<S, C, E> decider, DcbEventStore<E> store, int conflictRetries) {
        this.decider = Objects.requireNonNull(decider, "decider");
        this.store = Objects.requireNonNull(store, "store");
        this.conflictRetries = conflictRetries;
    }

    /** The decisions of {@code decider} on {@code store}, returning a conflict at once (no retries). */
    public static <S, C, E extends Event> Decisions<S, C, E> of(Decider<S, C, E> decider, DcbEventStore<E> store) {
        return new Decisions<>(decider, store, 0);
    }

    /**
     * These decisions, deciding again on a fresh read up to {@code retries} times when the append
     * condition fails. Only for commands that are safe to decide again on newer facts, which is what
     * a decision normally is.
     */
    public Decisions<S, C, E> retryOnConflict(int retries) {
        if (retries < 0) {
            throw new IllegalArgumentException("retries must not be negative: " + retries);
        }
        return new Decisions<>(decider, store, retries);
    }

    /**
     * Decides {@code command} on the events its query matches now and appends what it decided, if
     * nothing it depends on changed meanwhile.
     *
     * @throws dev.cqrs.core.EventStoreException when the store fails (nothing was written, or, for a broken
     *                                           connection, the idempotency key tells)
     */
    public DecisionResult<S, E> execute(C command, CommandMetadata metadata) {
        Objects.requireNonNull(command, "command");
        Objects.requireNonNull(metadata, "metadata");
        Query query = Objects.requireNonNull(decider.query(command), "the decider's query");
        StreamId stream = StreamId.of(store.aggregateType(), decider.streamOf(command));
        Optional<AppendResult> earlier = metadata.idempotencyKey().flatMap(store::findAppend);
        if (earlier.isPresent()) {
            return replay(command, query, earlier.get());
        }
        for (int attempt = 1; ; attempt++) {
            MatchingEvents<E> read = store.read(query);
            S state = decider.evolveAll(decider.initialState(command), read.eventsOnly());
            Decision<E> decision = decider.decide(state, command);
            if (decision instanceof Decision.Rejected<E> rejected) {
                return new DecisionResult.Rejected<>(rejected.rejection());
            }
            List<E> events = ((Decision.Accepted<E>) decision).events();
            if (events.isEmpty()) {
                return new DecisionResult.Accepted<>(state, List.of(), Optional.empty());
            }
            try {
                AppendResult append = store.append(stream.aggregateId(), events, Optional.empty(),
                        Optional.of(read.appendCondition()), metadata);
                if (append.replayed()) {
                    return replay(command, query, append);
                }
                return new DecisionResult.Accepted<>(decider.evolveAll(state, events), events, Optional.of(append));
            } catch (AppendConditionFailedException conflict) {
                if (attempt > conflictRetries) {
                    log.debug("Decision on {} conflicts after {} attempt(s): {}", stream, attempt, conflict.getMessage());
                    return new DecisionResult.Conflict<>(conflict.failure(), attempt);
                }
                log.debug("Decision on {} conflicts, deciding again ({} of {}): {}", stream, attempt, conflictRetries,
                        conflict.getMessage());
            }
        }
    }

    /**
     * The first result of an idempotency key: the state as it is now, and the events that the first
     * append wrote (those the query matches). A key first used for another aggregate type is a client
     * error, rejected as {@link Rejection#IDEMPOTENCY_KEY_REUSED}.
     */
    private DecisionResult<S, E> replay(C command, Query query, AppendResult first) {
        if (!first.stream().aggregateType().equals(store.aggregateType())) {
            return new DecisionResult.Rejected<>(Rejection.idempotencyKeyReused(first.stream()));
        }
        MatchingEvents<E> now = store.read(query);
        List<E> written = now.events().stream()
                .filter(e -> e.stream().equals(first.stream()) && e.position() >= first.firstPosition()
                        && e.position() <= first.lastPosition())
                .map(SequencedEvent::event)
                .toList();
        S state = decider.evolveAll(decider.initialState(command), now.eventsOnly());
        return new DecisionResult.Accepted<>(state, written, Optional.of(first.asReplay()));
    }
}
