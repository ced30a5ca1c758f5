package dev.cqrs.core.dcb;

/**
 * Reads events by query and appends them under append conditions, over the streams of one aggregate
 * type: the store side of a dynamic consistency boundary (see {@link Decider}). The same streams stay
 * readable and writable as aggregates through the store's {@code EventStore}.
 */
public interface DcbEventStore<E> extends DcbEventSource<E>, DcbEventSink<E> {
}
