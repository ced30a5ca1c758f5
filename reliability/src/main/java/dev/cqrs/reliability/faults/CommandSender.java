package dev.cqrs.reliability.faults;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;

/**
 * Sends a command as a client behind a load balancer would: to its own api process first, and while the
 * answer is "unavailable" (no answer, UNAVAILABLE, INTERNAL) again with the same idempotency key, to the
 * next api process, with a growing pause, for up to {@link #GIVE_UP}. So a command that did commit
 * before its answer was lost is applied once, and the ledger learns how each command ended.
 */
final class CommandSender {

    /** What a command selects of the to-do it answers: what the ledger keeps. */
    static final String RESULT = "{ id version position command { eventsWritten replayed } }";
    static final Duration GIVE_UP = Duration.ofMinutes(3);

    private final List<GraphQLClient> apis;
    private final List<String> names;
    private final CommandLedger ledger;

    /** @param names the api processes' names, in the order of {@code apis} */
    CommandSender(List<GraphQLClient> apis, List<String> names, CommandLedger ledger) {
        this.apis = List.copyOf(apis);
        this.names = List.copyOf(names);
        this.ledger = ledger;
    }

    /**
     * Sends {@code mutation} (which declares {@code $k} for the idempotency key and selects {@link #RESULT})
     * with a new key, first to api {@code preferred}.
     *
     * @return the to-do as the command left it; empty when it was rejected or failed (the ledger says which)
     */
    Optional<JsonNode> send(String mutation, Map<String, Object> variables, int preferred) throws InterruptedException {
        String key = UUID.randomUUID().toString();
        variables.put("k", key);
        long deadline = System.nanoTime() + GIVE_UP.toNanos();
        long backoff = 100;
        int api = Math.floorMod(preferred, apis.size());
        while (true) {
            GraphQLClient.Answer answer = apis.get(api).send(mutation, variables);
            long now = System.currentTimeMillis();
            if (answer.data().isPresent()) {
                Optional<JsonNode> todo = todoOf(answer.data().get());
                if (todo.isEmpty()) {
                    ledger.rejected("NO_SUCH_TODO", now);
                    return Optional.empty();
                }
                JsonNode result = todo.get();
                JsonNode position = result.path("position");
                ledger.acknowledged(new CommandLedger.Acknowledged(key, result.path("id").asText(), result.path("version").asLong(),
                        position.isNull() || position.isMissingNode() ? OptionalLong.empty() : OptionalLong.of(position.asLong()),
                        result.path("command").path("eventsWritten").asInt(), result.path("command").path("replayed").asBoolean(),
                        now, names.get(api)));
                return todo;
            }
            if (!answer.unavailable()) {
                ledger.rejected(answer.errorCode().orElse("UNKNOWN"), now);
                return Optional.empty();
            }
            if (System.nanoTime() > deadline) {
                ledger.failed(now);
                return Optional.empty();
            }
            ledger.retried(now);
            Thread.sleep(backoff);
            backoff = Math.min(2_000, backoff * 2);
            api = (api + 1) % apis.size();
        }
    }

    /** The to-do a mutation answered: {@code newTodo}, or the one field under {@code todo}; empty when null. */
    private static Optional<JsonNode> todoOf(JsonNode data) {
        JsonNode node = data.has("newTodo") ? data.get("newTodo")
                : data.path("todo").elements().hasNext() ? data.path("todo").elements().next() : null;
        return node == null || node.isNull() || !node.has("version") ? Optional.empty() : Optional.of(node);
    }

    int apiCount() {
        return apis.size();
    }
}
