package dev.cqrs.codec.kafka;

import dev.cqrs.core.Event;
import java.util.Optional;

/** A bank account's events, as a service outside this project would declare them. */
public sealed interface AccountEvent extends Event {

    record Opened(String owner, Optional<String> currency) implements AccountEvent {
    }

    record Deposited(long cents) implements AccountEvent {
    }

    record Closed() implements AccountEvent {
    }
}
