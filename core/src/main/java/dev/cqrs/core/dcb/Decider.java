package dev.cqrs.core.dcb;

import dev.cqrs.core.Decision;
import dev.cqrs.core.Event;

/**
 * A decision over the events that match a query: the counterpart of an {@link dev.cqrs.core.Aggregate}
 * when a rule spans several things ("a course takes at most its capacity of students, a student at most
 * five courses", "a username is unique"). Instead of one stream, the decision reads the events its
 * {@link #query} matches, folds them into a state, decides, and its events are appended only if no new
 * event matching the same query arrived since the read (a dynamic consistency boundary, dcb.events).
 *
 * <p>Like an aggregate, the functions here are pure: no I/O, no store. {@link Decisions} runs them
 * against a {@link DcbEventStore}; {@code dev.cqrs.core.testing.DecisionScenario} tests them with a list
 * of events.
 *
 * <pre>{@code
 * state = fold(evolve, initialState(command), events matching query(command))
 * decide(state, command) -> Accepted(new events) | Rejected(reason)
 * append the new events to streamOf(command), failing if an event matching query(command) arrived since
 * }</pre>
 *
 * <p>The new events should match the query themselves (a subscription to course c1 is tagged
 * {@code course:c1}): that is what makes two concurrent decisions on the same course see each other.
 *
 * @param <S> the decision's state: only what this decision needs, best a record
 * @param <C> the command (or a sealed interface of commands)
 * @param <E> the events, best a sealed interface of records whose {@link Event#eventTags()} the domain chose
 */
public interface Decider<S, C, E extends Event> {

    /** The events the decision on {@code command} depends on. */
    Query query(C command);

    /**
     * The stream the events decided on {@code command} are appended to: an aggregate id of the store's
     * aggregate type. It is their key on Kafka, so the events of one stream reach consumers in order; pick
     * the thing most consumers group by (the course of a subscription, say).
     */
    String streamOf(C command);

    /** The state before the first matching event; it may hold what the command is about (ids). */
    S initialState(C command);

    /** The state after a matching event. Must accept every event the query can match. */
    S evolve(S state, E event);

    /** Decides what {@code command} causes in {@code state}. Must not change {@code state} or do I/O. */
    Decision<E> decide(S state, C command);

    /** Folds events in order, starting from {@code state}. */
    default S evolveAll(S state, Iterable<? extends E> events) {
        S current = state;
        for (E event : events) {
            current = evolve(current, event);
        }
        return current;
    }
}
