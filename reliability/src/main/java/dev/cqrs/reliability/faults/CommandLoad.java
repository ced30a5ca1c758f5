package dev.cqrs.reliability.faults;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * A steady load of to-do commands over GraphQL: many clients, a few hot to-dos that all of them write
 * (with expected versions that go stale, so they conflict) and many cold ones of their own, now and then
 * an invalid command. Every command carries an idempotency key; when the service is unavailable (a
 * crashed database, a broken connection) the client sends the same command again with the same key until
 * it gets an answer, so a command that did commit is never applied twice.
 */
final class CommandLoad {

    // The seed's shapes: a command answers with the to-do (TodoQL); what it did is TodoQL.command.
    private static final String NEW = "mutation($t: String!, $r: DateTimeUtc, $k: String) {"
            + " newTodo(text: $t, reminderTime: $r, idempotencyKey: $k) { id version command { replayed } } }";
    private static final Duration GIVE_UP = Duration.ofMinutes(3);

    private final GraphQLClient client;
    private final int clients;
    private final long seed;
    private final List<String> hot = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean running;

    final LongAdder accepted = new LongAdder();
    final LongAdder replayed = new LongAdder();
    final LongAdder retried = new LongAdder();
    final LongAdder gaveUp = new LongAdder();
    final Map<String, LongAdder> rejected = new ConcurrentHashMap<>();

    CommandLoad(GraphQLClient client, int clients, long seed) {
        this.client = client;
        this.clients = clients;
        this.seed = seed;
    }

    void start() {
        for (int i = 0; i < 5; i++) {
            hot.add(create(new Random(seed + i), "hot to-do " + i).orElseThrow(
                    () -> new IllegalStateException("cannot create the hot to-dos: is the service up?")));
        }
        running = true;
        for (int c = 0; c < clients; c++) {
            long clientSeed = seed * 31 + c;
            threads.add(Thread.ofPlatform().name("load-" + c).start(() -> run(new Random(clientSeed))));
        }
    }

    void stop() throws InterruptedException {
        running = false;
        for (Thread thread : threads) {
            thread.join();
        }
    }

    long commands() {
        return accepted.sum() + rejected.values().stream().mapToLong(LongAdder::sum).sum() + gaveUp.sum();
    }

    Map<String, Long> rejections() {
        Map<String, Long> counts = new TreeMap<>();
        rejected.forEach((code, count) -> counts.put(code, count.sum()));
        return counts;
    }

    private void run(Random random) {
        List<String> mine = new ArrayList<>();
        Map<String, Integer> versions = new HashMap<>();
        while (running) {
            try {
                if (mine.isEmpty() || random.nextInt(8) == 0) {
                    create(random, "cold " + UUID.randomUUID()).ifPresent(mine::add);
                } else {
                    String id = random.nextInt(3) == 0 ? hot.get(random.nextInt(hot.size())) : mine.get(random.nextInt(mine.size()));
                    command(random, id, versions);
                }
                Thread.sleep(5 + random.nextInt(20));
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private Optional<String> create(Random random, String text) {
        Map<String, Object> variables = new HashMap<>();
        variables.put("t", random.nextInt(30) == 0 ? "" : text);
        variables.put("r", random.nextBoolean() ? Instant.now().plus(Duration.ofDays(1 + random.nextInt(30))).toString() : null);
        return send(NEW, variables).map(data -> data.path("newTodo").path("id").asText());
    }

    private void command(Random random, String id, Map<String, Integer> versions) {
        Map<String, Object> variables = new HashMap<>();
        variables.put("id", id);
        String field;
        switch (random.nextInt(7)) {
            case 0 -> {
                field = "setDescription(text: $text, expectedVersion: $v, idempotencyKey: $k)";
                variables.put("text", random.nextInt(25) == 0 ? " " : "description " + random.nextInt(1_000));
            }
            case 1 -> {
                field = "setReminder(time: $time, expectedVersion: $v, idempotencyKey: $k)";
                Instant when = random.nextInt(25) == 0 ? Instant.now().minus(Duration.ofHours(1))
                        : Instant.now().plus(Duration.ofHours(1 + random.nextInt(500)));
                variables.put("time", when.toString());
            }
            case 2 -> field = "cancelReminder(expectedVersion: $v, idempotencyKey: $k)";
            case 3 -> field = "complete(expectedVersion: $v, idempotencyKey: $k)";
            case 4 -> field = "reset(expectedVersion: $v, idempotencyKey: $k)";
            default -> field = "toggle(expectedVersion: $v, idempotencyKey: $k)";
        }
        // A third of the commands say which version they expect: on hot to-dos it is often stale.
        variables.put("v", random.nextInt(3) == 0 ? versions.get(id) : null);
        String declarations = "$id: ID!, $v: Int, $k: String" + (variables.containsKey("text") ? ", $text: String!" : "")
                + (variables.containsKey("time") ? ", $time: DateTimeUtc!" : "");
        String mutation = "mutation(" + declarations + ") { todo(id: $id) { " + field + " { version command { replayed } } } }";
        send(mutation, variables).ifPresent(data -> {
            JsonNode result = data.path("todo").elements().hasNext() ? data.path("todo").elements().next() : null;
            if (result != null && result.has("version")) {
                versions.put(id, result.path("version").asInt());
            }
        });
    }

    /** Sends a command with a key of its own, again and again while the service is unavailable. */
    private Optional<JsonNode> send(String query, Map<String, Object> variables) {
        variables.put("k", UUID.randomUUID().toString());
        long deadline = System.nanoTime() + GIVE_UP.toNanos();
        long backoff = 200;
        while (true) {
            GraphQLClient.Answer answer = client.send(query, variables);
            if (answer.data().isPresent()) {
                accepted.increment();
                if (answer.body().contains("\"replayed\":true")) {
                    replayed.increment();
                }
                return answer.data();
            }
            if (!answer.unavailable()) {
                rejected.computeIfAbsent(answer.errorCode().orElse("UNKNOWN"), code -> new LongAdder()).increment();
                return Optional.empty();
            }
            if (System.nanoTime() > deadline) {
                gaveUp.increment();
                return Optional.empty();
            }
            retried.increment();
            try {
                Thread.sleep(backoff);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                gaveUp.increment();
                return Optional.empty();
            }
            backoff = Math.min(2_000, backoff * 2);
        }
    }
}
