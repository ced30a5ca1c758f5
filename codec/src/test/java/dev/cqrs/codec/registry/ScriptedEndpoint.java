package dev.cqrs.codec.registry;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A stand-in for a registry endpoint that answers from a script and records what it was asked: only
 * for the client's retry and cache behaviour, which a real registry cannot be made to show on
 * demand. The registry protocol itself is tested against the embedded registry.
 */
final class ScriptedEndpoint implements AutoCloseable {

    record Answer(int status, String body, Map<String, String> headers) {
        Answer(int status, String body) {
            this(status, body, Map.of());
        }
    }

    record Request(String method, String rawPath, String rawQuery, String contentType, String body) {
    }

    private final HttpServer server;
    private final ConcurrentLinkedDeque<Answer> script = new ConcurrentLinkedDeque<>();
    final List<Request> requests = new CopyOnWriteArrayList<>();

    private ScriptedEndpoint(int port) {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            requests.add(new Request(exchange.getRequestMethod(), exchange.getRequestURI().getRawPath(),
                    exchange.getRequestURI().getRawQuery(), exchange.getRequestHeaders().getFirst("Content-Type"), body));
            Answer answer = script.pollFirst();
            if (answer == null) {
                answer = new Answer(500, "{\"error_code\":50001,\"message\":\"the test's script ran out\"}");
            }
            byte[] bytes = answer.body().getBytes(StandardCharsets.UTF_8);
            answer.headers().forEach((name, value) -> exchange.getResponseHeaders().add(name, value));
            exchange.getResponseHeaders().add("Content-Type", HttpSchemaRegistryClient.CONTENT_TYPE);
            exchange.sendResponseHeaders(answer.status(), bytes.length == 0 ? -1 : bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        server.start();
    }

    static ScriptedEndpoint start() {
        return new ScriptedEndpoint(0);
    }

    static ScriptedEndpoint startOn(int port) {
        return new ScriptedEndpoint(port);
    }

    ScriptedEndpoint then(int status, String body) {
        script.addLast(new Answer(status, body));
        return this;
    }

    ScriptedEndpoint then(Answer answer) {
        script.addLast(answer);
        return this;
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
