package dev.cqrs.core;

/**
 * A store could not do what was asked for a reason outside the caller's control: the database is
 * down, a connection broke, a stored payload cannot be decoded. The message says which stream and
 * which step (load, append, snapshot) failed. An append that throws this has written nothing.
 */
public class EventStoreException extends RuntimeException {

    public EventStoreException(String message, Throwable cause) {
        super(message, cause);
    }

    public EventStoreException(String message) {
        super(message);
    }
}
