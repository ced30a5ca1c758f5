package dev.cqrs.embedded.network;

import java.time.Duration;
import java.util.Objects;

/**
 * What a {@link FaultProxy} does to the connections it forwards: nothing, or one of the failures a
 * network between two hosts shows. A fault applies to the connections open when it is injected and
 * to those opened while it lasts; {@link FaultProxy#heal()} ends it.
 */
public sealed interface NetworkFault {

    /** No fault: bytes are forwarded as they come. */
    record None() implements NetworkFault {
    }

    /**
     * Every chunk of bytes is held for {@code delay} plus or minus a uniformly drawn share of
     * {@code jitter} before it is forwarded, in each direction (a round trip grows by about twice
     * the delay). Order is kept: a chunk never overtakes the one read before it.
     */
    record Latency(Duration delay, Duration jitter) implements NetworkFault {
        public Latency {
            Objects.requireNonNull(delay, "delay");
            Objects.requireNonNull(jitter, "jitter");
            if (delay.isNegative() || jitter.isNegative() || jitter.compareTo(delay) > 0) {
                throw new IllegalArgumentException("latency needs 0 <= jitter <= delay, was delay " + delay
                        + " and jitter " + jitter);
            }
        }
    }

    /**
     * Packets dropped: nothing is forwarded either way and nobody is told. Open connections stay
     * open and hang; a new connection is accepted but nothing goes through it. What was sent
     * meanwhile is delivered once the fault heals, as TCP retransmission would (unless the
     * endpoints gave up and closed first).
     *
     * <p>Unlike a kernel that drops packets, the proxy's own sockets still acknowledge what they
     * receive, so a sender's TCP stack sees no retransmission timeout; it sees a window that stops
     * moving. Application-level timeouts (request, session, keep-alive) behave as with lost packets.
     */
    record Blackhole() implements NetworkFault {
    }

    /**
     * Every open connection is reset (TCP RST to both ends, as {@code SO_LINGER 0} sends) when the
     * fault is injected, and every new connection right after it is accepted, while the fault lasts.
     * Inject and heal at once for a single wave of resets.
     */
    record Reset() implements NetworkFault {
    }

    /**
     * Half-open connections: the server's end of every connection is closed (the server sees its
     * client go away), while the client keeps a connection that accepts its bytes and never answers,
     * as when a peer host vanishes without a word. New connections are accepted and never reach the
     * server. When the fault heals, the clients' ends are reset, as a peer that is reachable again
     * answers a connection it no longer knows.
     */
    record HalfOpen() implements NetworkFault {
    }

    /** No fault. */
    static NetworkFault none() {
        return new None();
    }

    /** {@code delay} plus or minus up to {@code jitter} on every chunk, each way. */
    static NetworkFault latency(Duration delay, Duration jitter) {
        return new Latency(delay, jitter);
    }

    /** Nothing forwarded, nothing closed. */
    static NetworkFault blackhole() {
        return new Blackhole();
    }

    /** Connections reset, now and on connect. */
    static NetworkFault reset() {
        return new Reset();
    }

    /** The server's ends closed, the clients' ends left hanging. */
    static NetworkFault halfOpen() {
        return new HalfOpen();
    }
}
