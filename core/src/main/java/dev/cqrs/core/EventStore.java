package dev.cqrs.core;

/** Reads and appends the event streams of one aggregate type. */
public interface EventStore<E> extends EventSource<E>, EventSink<E> {
}
