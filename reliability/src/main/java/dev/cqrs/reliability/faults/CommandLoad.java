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
import java.util.UUID;

/**
 * A steady load of to-do commands over GraphQL: many clients, a few hot to-dos that all of them write
 * (with expected versions that go stale, so they conflict) and many cold ones of their own, now and then
 * an invalid command. Clients are spread over the api processes; every command carries an idempotency key
 * and is sent again, with the same key, while the service is unavailable ({@link CommandSender}), so a
 * command that did commit is never applied twice.
 */
final class CommandLoad {

    // The seed's shapes: a command answers with the to-do (TodoQL); what it did is TodoQL.command.
    private static final String NEW = "mutation($t: String!, $r: DateTimeUtc, $k: String) {"
            + " newTodo(text: $t, reminderTime: $r, idempotencyKey: $k) " + CommandSender.RESULT + " }";
    private static final int HOT_TODOS = 5;

    private final CommandSender sender;
    private final int clients;
    private final int thinkMillis;
    private final long seed;
    private final List<String> hot = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean running;

    /** @param thinkMillis a client's pause between two commands: from this to twice this (ms) */
    CommandLoad(CommandSender sender, int clients, int thinkMillis, long seed) {
        this.sender = sender;
        this.clients = clients;
        this.thinkMillis = thinkMillis;
        this.seed = seed;
    }

    void start() throws InterruptedException {
        for (int i = 0; i < HOT_TODOS; i++) {
            hot.add(create(new Random(seed + i), "hot to-do " + i, i).orElseThrow(
                    () -> new IllegalStateException("cannot create the hot to-dos: is the service up?")));
        }
        running = true;
        for (int c = 0; c < clients; c++) {
            long clientSeed = seed * 31 + c;
            int client = c;
            threads.add(Thread.ofPlatform().name("load-" + c).start(() -> run(new Random(clientSeed), client)));
        }
    }

    /** Stops the clients; each finishes the command it is sending (which may wait for the service). */
    void stop() throws InterruptedException {
        running = false;
        for (Thread thread : threads) {
            thread.join(CommandSender.GIVE_UP.plusSeconds(30).toMillis());
            if (thread.isAlive()) {
                throw new IllegalStateException(thread.getName() + " did not stop within " + CommandSender.GIVE_UP.plusSeconds(30));
            }
        }
    }

    int clients() {
        return clients;
    }

    private void run(Random random, int client) {
        List<String> mine = new ArrayList<>();
        Map<String, Long> versions = new HashMap<>();
        while (running) {
            try {
                if (mine.isEmpty() || random.nextInt(8) == 0) {
                    create(random, "cold " + UUID.randomUUID(), client).ifPresent(mine::add);
                } else {
                    String id = random.nextInt(3) == 0 ? hot.get(random.nextInt(hot.size())) : mine.get(random.nextInt(mine.size()));
                    command(random, id, versions, client);
                }
                Thread.sleep(thinkMillis + random.nextInt(thinkMillis + 1));
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private Optional<String> create(Random random, String text, int client) throws InterruptedException {
        Map<String, Object> variables = new HashMap<>();
        variables.put("t", random.nextInt(30) == 0 ? "" : text);
        variables.put("r", random.nextBoolean() ? Instant.now().plus(Duration.ofDays(1 + random.nextInt(30))).toString() : null);
        return sender.send(NEW, variables, client).map(todo -> todo.path("id").asText());
    }

    private void command(Random random, String id, Map<String, Long> versions, int client) throws InterruptedException {
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
        String mutation = "mutation(" + declarations + ") { todo(id: $id) { " + field + " " + CommandSender.RESULT + " } }";
        Optional<JsonNode> todo = sender.send(mutation, variables, client);
        todo.ifPresent(result -> versions.put(id, result.path("version").asLong()));
    }
}
