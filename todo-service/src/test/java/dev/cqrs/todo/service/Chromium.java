package dev.cqrs.todo.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * Debian's headless Chromium, driven over the Chrome DevTools Protocol with the JDK's WebSocket client:
 * one page, JavaScript evaluated in it, screenshots. No driver to download.
 */
final class Chromium implements AutoCloseable {

    static final Path BINARY = Path.of("/usr/bin/chromium");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private final Process process;
    private final Path profile;
    private final WebSocket socket;
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();

    private Chromium(Process process, Path profile, WebSocket socket) {
        this.process = process;
        this.profile = profile;
        this.socket = socket;
    }

    static boolean isInstalled() {
        return Files.isExecutable(BINARY);
    }

    /**
     * The first line of every browser test: where Chromium is not installed the test is skipped, saying why
     * (an assumption, which Surefire counts as skipped); in CI ({@code CI=true}), where it must be installed,
     * the test fails instead.
     */
    static void assumeInstalled() {
        assumeInstalled(isInstalled(), System.getenv());
    }

    static void assumeInstalled(boolean installed, Map<String, String> env) {
        if (installed) {
            return;
        }
        String missing = "headless Chromium is not installed at " + BINARY + " (apt-get install chromium)";
        if ("true".equalsIgnoreCase(env.getOrDefault("CI", ""))) {
            throw new AssertionError(missing + ", and CI=true: CI must run the browser tests (.ci/run installs Chromium)");
        }
        Assumptions.abort(missing + ": this browser test is skipped");
    }

    /** Starts a fresh browser (its own profile) showing {@code url}. */
    static Chromium open(URI url) throws Exception {
        Path profile = Files.createTempDirectory("cqrs-chromium-");
        Process process = new ProcessBuilder(List.of(BINARY.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                "--disable-dev-shm-usage", "--disable-extensions", "--remote-debugging-port=0", "--window-size=1100,1400",
                "--user-data-dir=" + profile, url.toString()))
                .redirectErrorStream(true)
                .redirectOutput(profile.resolve("chromium.log").toFile())
                .start();
        try {
            Path portFile = profile.resolve("DevToolsActivePort");
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (!Files.exists(portFile) || Files.readAllLines(portFile).isEmpty()) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    throw new IllegalStateException("Chromium did not start: " + Files.readString(profile.resolve("chromium.log")));
                }
                Thread.sleep(50);
            }
            int port = Integer.parseInt(Files.readAllLines(portFile).getFirst().strip());
            HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
            String pageSocket = null;
            while (pageSocket == null) {
                JsonNode targets = JSON.readTree(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/json/list"))
                        .timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.ofString()).body());
                for (JsonNode target : targets) {
                    if ("page".equals(target.path("type").asText())) {
                        pageSocket = target.path("webSocketDebuggerUrl").asText();
                    }
                }
                if (pageSocket == null) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("Chromium shows no page");
                    }
                    Thread.sleep(50);
                }
            }
            Chromium[] self = new Chromium[1];
            WebSocket socket = http.newWebSocketBuilder().buildAsync(URI.create(pageSocket), new WebSocket.Listener() {
                private final StringBuilder message = new StringBuilder();

                @Override
                public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
                    message.append(data);
                    if (last) {
                        self[0].received(message.toString());
                        message.setLength(0);
                    }
                    webSocket.request(1);
                    return null;
                }
            }).get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            self[0] = new Chromium(process, profile, socket);
            return self[0];
        } catch (Exception e) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            throw e;
        }
    }

    private void received(String text) {
        try {
            JsonNode message = JSON.readTree(text);
            if (message.has("id")) {
                CompletableFuture<JsonNode> waiting = pending.remove(message.get("id").asInt());
                if (waiting != null) {
                    waiting.complete(message);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Calls a DevTools method; its result. */
    JsonNode call(String method, Map<String, ?> params) throws Exception {
        int id = ids.incrementAndGet();
        CompletableFuture<JsonNode> answer = new CompletableFuture<>();
        pending.put(id, answer);
        ObjectNode request = JSON.createObjectNode().put("id", id).put("method", method);
        request.set("params", JSON.valueToTree(params));
        socket.sendText(request.toString(), true).get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        JsonNode response = answer.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        if (response.has("error")) {
            throw new IllegalStateException(method + " failed: " + response.get("error"));
        }
        return response.path("result");
    }

    /** Evaluates JavaScript in the page (awaiting a promise); its value as JSON. */
    JsonNode eval(String expression) throws Exception {
        JsonNode result = call("Runtime.evaluate", Map.of("expression", expression, "awaitPromise", true, "returnByValue", true));
        if (result.has("exceptionDetails")) {
            throw new AssertionError("JavaScript failed: " + expression + "\n" + result.get("exceptionDetails"));
        }
        return result.path("result").path("value");
    }

    /** Waits until a JavaScript condition holds in the page (one that throws, e.g. while it loads, does not). */
    void waitFor(String condition) throws Exception {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!eval("(() => { try { return Boolean(" + condition + "); } catch (e) { return false; } })()").asBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the page never showed: " + condition + "\nbody: "
                        + eval("document.body.innerText").asText());
            }
            Thread.sleep(50);
        }
    }

    /** A PNG of the page as it looks now. */
    byte[] screenshot() throws Exception {
        return Base64.getDecoder().decode(call("Page.captureScreenshot", Map.of("format", "png")).path("data").asText());
    }

    @Override
    public void close() {
        socket.abort();
        process.descendants().forEach(ProcessHandle::destroy);
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try (Stream<Path> files = Files.walk(profile)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            // a temporary profile left behind is harmless
        }
    }
}
