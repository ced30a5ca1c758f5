package dev.cqrs.embedded.network;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TCP proxy on loopback that stands for the network between a client and one server, and that can
 * be told to fail as a network does ({@link NetworkFault}): added latency with jitter, a blackhole,
 * resets, half-open connections. Point the client at {@link #address()} instead of the server.
 *
 * <pre>{@code
 * try (FaultProxy link = FaultProxy.start("relay->postgres", postgresPort)) {
 *     ... connect the relay to link.address() ...
 *     link.inject(NetworkFault.latency(Duration.ofMillis(100), Duration.ofMillis(50)));
 *     link.inject(NetworkFault.blackhole());   // connections hang
 *     link.heal();
 * }
 * }</pre>
 *
 * <p>Each connection is forwarded by two virtual threads per direction (one reads, one writes after
 * the chunk's delay), with at most 64 chunks of 64 KiB in flight per direction, so a slow or
 * blackholed direction pushes back on its sender as a full TCP window would. Everything listens on
 * and connects to 127.0.0.1. Thread-safe.
 */
public final class FaultProxy implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(FaultProxy.class);
    private static final String HOST = "127.0.0.1";
    private static final int CHUNK_BYTES = 64 * 1024;
    private static final int CHUNKS_IN_FLIGHT = 64;
    private static final int CONNECT_TIMEOUT_MS = 5_000;

    private final String name;
    private final InetSocketAddress upstream;
    private final ServerSocket server;
    private final Set<Link> links = ConcurrentHashMap.newKeySet();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition faultChanged = lock.newCondition();
    private final LongAdder accepted = new LongAdder();
    private final LongAdder bytesToServer = new LongAdder();
    private final LongAdder bytesToClient = new LongAdder();
    private volatile NetworkFault fault = NetworkFault.none();
    private volatile boolean closed;

    private FaultProxy(String name, ServerSocket server, int upstreamPort) {
        this.name = name;
        this.server = server;
        this.upstream = new InetSocketAddress(HOST, upstreamPort);
    }

    /** A proxy on a free port of 127.0.0.1 in front of {@code 127.0.0.1:upstreamPort}. */
    public static FaultProxy start(String name, int upstreamPort) {
        return start(name, 0, upstreamPort);
    }

    /**
     * A proxy on {@code 127.0.0.1:port} ({@code 0}: a free one) in front of
     * {@code 127.0.0.1:upstreamPort}, which need not be listening yet: a connection made while it is
     * not is reset.
     *
     * @param name what log lines and {@link #toString()} call this link, e.g. {@code relay->kafka-2}
     */
    public static FaultProxy start(String name, int port, int upstreamPort) {
        if (upstreamPort < 1 || upstreamPort > 65_535 || port < 0 || port > 65_535) {
            throw new IllegalArgumentException("fault proxy " + name + ": ports must be 1-65535 (the listening one"
                    + " may be 0), were " + port + " and upstream " + upstreamPort);
        }
        ServerSocket socket;
        try {
            socket = new ServerSocket();
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getByName(HOST), port), 200);
        } catch (IOException e) {
            throw new UncheckedIOException("fault proxy " + name + " cannot listen on " + HOST + ":" + port, e);
        }
        var proxy = new FaultProxy(name, socket, upstreamPort);
        Thread.ofPlatform().daemon().name("fault-proxy-" + name).start(proxy::accept);
        LOG.debug("{} started", proxy);
        return proxy;
    }

    /** This link's name. */
    public String name() {
        return name;
    }

    /** The port clients connect to. */
    public int port() {
        return server.getLocalPort();
    }

    /** {@code 127.0.0.1:<port>}: where clients connect instead of the server. */
    public String address() {
        return HOST + ":" + port();
    }

    /** The server's port. */
    public int upstreamPort() {
        return upstream.getPort();
    }

    /** The fault in force ({@link NetworkFault.None} when healthy). */
    public NetworkFault fault() {
        return fault;
    }

    /**
     * Applies {@code fault} to the open connections and to those opened while it lasts, replacing the
     * fault in force. Leaving {@link NetworkFault.HalfOpen} resets the connections it left half-open.
     */
    public void inject(NetworkFault fault) {
        java.util.Objects.requireNonNull(fault, "fault");
        NetworkFault previous;
        lock.lock();
        try {
            previous = this.fault;
            this.fault = fault;
            faultChanged.signalAll();
        } finally {
            lock.unlock();
        }
        switch (fault) {
            case NetworkFault.Reset reset -> links.forEach(Link::abort);
            case NetworkFault.HalfOpen halfOpen -> links.forEach(Link::halfOpen);
            default -> {
                // latency and blackhole act on the next chunk; none lets everything flow again
            }
        }
        if (previous instanceof NetworkFault.HalfOpen && !(fault instanceof NetworkFault.HalfOpen)) {
            links.stream().filter(link -> link.halfOpen).forEach(Link::abort);
        }
        LOG.info("Network fault on {}: {} (was {}; {} connections open)", name, describe(fault), describe(previous),
                links.size());
    }

    /** Ends the fault in force: the same as {@code inject(NetworkFault.none())}. */
    public void heal() {
        inject(NetworkFault.none());
    }

    /** Connections open now. */
    public int openConnections() {
        return links.size();
    }

    /** Connections accepted since the start. */
    public long connectionsAccepted() {
        return accepted.sum();
    }

    /** Bytes forwarded from clients to the server so far. */
    public long bytesToServer() {
        return bytesToServer.sum();
    }

    /** Bytes forwarded from the server to clients so far. */
    public long bytesToClient() {
        return bytesToClient.sum();
    }

    /** Stops listening and resets every connection. */
    @Override
    public void close() {
        closed = true;
        lock.lock();
        try {
            faultChanged.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            server.close();
        } catch (IOException e) {
            LOG.debug("closing {}", this, e);
        }
        links.forEach(Link::abort);
    }

    @Override
    public String toString() {
        return "fault proxy " + name + " at " + HOST + ":" + server.getLocalPort() + " -> " + HOST + ":"
                + upstream.getPort() + " (" + describe(fault) + ")";
    }

    private static String describe(NetworkFault fault) {
        return switch (fault) {
            case NetworkFault.None none -> "no fault";
            case NetworkFault.Latency latency -> "latency " + latency.delay().toMillis() + " ms +/- "
                    + latency.jitter().toMillis() + " ms each way";
            case NetworkFault.Blackhole blackhole -> "blackhole";
            case NetworkFault.Reset reset -> "reset";
            case NetworkFault.HalfOpen halfOpen -> "half-open";
        };
    }

    private void accept() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                if (!closed) {
                    LOG.warn("{} stopped accepting: {}", this, e.toString());
                }
                return;
            }
            accepted.increment();
            Link link = new Link(client);
            links.add(link);
            Thread.ofVirtual().name("fault-proxy-" + name + "-open").start(link::open);
        }
    }

    /** Blocks while the fault in force is a blackhole. */
    private void awaitFlowing() throws InterruptedException {
        if (!(fault instanceof NetworkFault.Blackhole)) {
            return;
        }
        lock.lock();
        try {
            while (fault instanceof NetworkFault.Blackhole && !closed) {
                faultChanged.await();
            }
        } finally {
            lock.unlock();
        }
    }

    /** One client connection and, unless it is half-open from the start, its connection to the server. */
    private final class Link {
        private final Socket client;
        private volatile Socket upstreamSocket; // null until connected, and for ever when half-open from the start
        private volatile boolean halfOpen;
        private final AtomicInteger directionsEnded = new AtomicInteger();

        Link(Socket client) {
            this.client = client;
        }

        void open() {
            try {
                client.setTcpNoDelay(true);
            } catch (SocketException e) {
                abort();
                return;
            }
            NetworkFault now = fault;
            if (now instanceof NetworkFault.Reset) {
                abort();
                return;
            }
            if (now instanceof NetworkFault.HalfOpen) {
                halfOpen = true;
                new Direction(this, client, null, bytesToServer).start("to-server");
                return;
            }
            Socket socket = new Socket();
            try {
                socket.setTcpNoDelay(true);
                socket.connect(upstream, CONNECT_TIMEOUT_MS);
                if (socket.getLocalPort() == socket.getPort() && socket.getLocalAddress().equals(socket.getInetAddress())) {
                    // A connect to a free loopback port can be given that same port as its own end and "succeed"
                    // by meeting itself (TCP simultaneous open): no server is there, so it is a refusal.
                    throw new java.net.ConnectException("connected to itself at " + upstream + ": no server listens there");
                }
            } catch (IOException e) {
                LOG.debug("{}: the server at {} refused a connection ({}); resetting the client's", name, upstream, e.toString());
                close(socket, true);
                abort();
                return;
            }
            upstreamSocket = socket;
            if (halfOpen || fault instanceof NetworkFault.HalfOpen) {
                halfOpen();
                new Direction(this, client, null, bytesToServer).start("to-server");
                return;
            }
            if (fault instanceof NetworkFault.Reset) {
                abort();
                return;
            }
            new Direction(this, client, socket, bytesToServer).start("to-server");
            new Direction(this, socket, client, bytesToClient).start("to-client");
        }

        /** Closes the server's end: the server sees the client leave; the client is left hanging. */
        void halfOpen() {
            halfOpen = true;
            Socket socket = upstreamSocket;
            if (socket != null) {
                close(socket, false);
            }
        }

        /** Both ends reset. */
        void abort() {
            links.remove(this);
            close(client, true);
            Socket socket = upstreamSocket;
            if (socket != null) {
                close(socket, true);
            }
        }

        /** A direction read to its end: pass the end on (a TCP half-close); once both ended, close. */
        void ended(Direction direction) {
            if (halfOpen) {
                if (direction.from == client) {
                    abort(); // the client hung up on its half-open connection
                }
                return;
            }
            try {
                direction.to.shutdownOutput();
            } catch (IOException e) {
                abort();
                return;
            }
            if (directionsEnded.incrementAndGet() == 2) {
                links.remove(this);
                close(client, false);
                close(upstreamSocket, false);
            }
        }

        /** A direction failed (a reset, a broken pipe): the other end gets a reset too. */
        void failed(Direction direction) {
            if (halfOpen && direction.from != client) {
                return; // we closed the server's end ourselves
            }
            abort();
        }
    }

    /** One direction of a link: a reader that queues chunks with their release times and a writer. */
    private final class Direction {
        private static final Chunk END = new Chunk(new byte[0], 0);
        private static final Chunk FAILED = new Chunk(new byte[0], 0);

        private final Link link;
        private final Socket from;
        private final Socket to; // null: swallow everything (half-open from the start)
        private final LongAdder forwarded;
        private final BlockingQueue<Chunk> chunks = new ArrayBlockingQueue<>(CHUNKS_IN_FLIGHT);
        private long lastRelease;

        Direction(Link link, Socket from, Socket to, LongAdder forwarded) {
            this.link = link;
            this.from = from;
            this.to = to;
            this.forwarded = forwarded;
        }

        void start(String what) {
            Thread.ofVirtual().name("fault-proxy-" + name + "-" + what + "-read").start(this::read);
            Thread.ofVirtual().name("fault-proxy-" + name + "-" + what + "-write").start(this::write);
        }

        private void read() {
            byte[] buffer = new byte[CHUNK_BYTES];
            try {
                while (true) {
                    awaitFlowing();
                    int read = from.getInputStream().read(buffer);
                    if (read < 0) {
                        chunks.put(END);
                        return;
                    }
                    chunks.put(new Chunk(Arrays.copyOf(buffer, read), releaseTime()));
                }
            } catch (IOException e) {
                try {
                    chunks.put(FAILED); // waits for the writer, which may be held by a blackhole
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    link.abort();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                link.abort();
            }
        }

        private void write() {
            try {
                while (true) {
                    Chunk chunk = chunks.take();
                    if (chunk == END) {
                        link.ended(this);
                        return;
                    }
                    if (chunk == FAILED) {
                        link.failed(this);
                        return;
                    }
                    long wait = chunk.releaseAt() - System.nanoTime();
                    if (wait > 0) {
                        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                    }
                    awaitFlowing();
                    if (to == null || link.halfOpen) {
                        continue; // swallowed: nobody is listening at the other end
                    }
                    // counted before the write: whoever reads these bytes at the other end then sees them counted
                    forwarded.add(chunk.bytes().length);
                    to.getOutputStream().write(chunk.bytes());
                }
            } catch (IOException e) {
                link.failed(this);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                link.abort();
            }
        }

        /** When a chunk read now may be written: after the latency in force, never before the chunk read before it. */
        private long releaseTime() {
            long now = System.nanoTime();
            long release = now;
            if (fault instanceof NetworkFault.Latency latency) {
                long delay = latency.delay().toNanos();
                long jitter = latency.jitter().toNanos();
                if (jitter > 0) {
                    delay += ThreadLocalRandom.current().nextLong(-jitter, jitter + 1);
                }
                release = now + delay;
            }
            lastRelease = Math.max(release, lastRelease);
            return lastRelease;
        }
    }

    private record Chunk(byte[] bytes, long releaseAt) {
    }

    private static void close(Socket socket, boolean reset) {
        if (socket == null) {
            return;
        }
        try {
            if (reset && !socket.isClosed()) {
                socket.setSoLinger(true, 0); // close() then sends RST instead of FIN
            }
            socket.close();
        } catch (IOException e) {
            LOG.trace("closing a proxied socket", e);
        }
    }
}
