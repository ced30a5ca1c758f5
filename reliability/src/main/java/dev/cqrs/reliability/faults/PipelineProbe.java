package dev.cqrs.reliability.faults;

import java.nio.charset.StandardCharsets;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.common.utils.Utils;

/**
 * Whether the pipeline moves, end to end, on every partition: one to-do per partition of the event topic,
 * whose description the probe sets to {@code probe <partition> <n>} about once a second each (through the
 * api processes, like any client), and a look at the read model that notes when each write shows there.
 *
 * <p>A fault has recovered when, on every partition, a write acknowledged after the fault struck shows in
 * the read model: commands are stored, published, projected and readable again everywhere. Probe writes are
 * sequential per to-do, so a to-do showing {@code n} shows every write before it. Descriptions are unique,
 * so a write that a failover lost cannot be mistaken for a later one.
 */
final class PipelineProbe {

    private static final String SET = "mutation($id: ID!, $text: String!, $k: String) { todo(id: $id) {"
            + " setDescription(text: $text, idempotencyKey: $k) " + CommandSender.RESULT + " } }";

    /** A probe write: acknowledged when, and first seen in the read model when (0 until then). */
    private static final class Write {
        final long ackMillis;
        volatile long seenMillis;

        Write(long ackMillis) {
            this.ackMillis = ackMillis;
        }
    }

    private final CommandSender sender;
    private final String[] todos;
    private final List<List<Write>> writes = new ArrayList<>();
    private volatile boolean running;
    private Thread thread;

    private PipelineProbe(CommandSender sender, String[] todos) {
        this.sender = sender;
        this.todos = todos;
        for (int p = 0; p < todos.length; p++) {
            writes.add(new CopyOnWriteArrayList<>());
        }
    }

    /** Creates one to-do per partition (as many as it takes: the key's hash picks the partition, as Kafka's does). */
    static PipelineProbe create(CommandSender sender, int partitions) throws InterruptedException {
        String[] todos = new String[partitions];
        int found = 0;
        for (int attempt = 0; found < partitions; attempt++) {
            if (attempt > 50 * partitions) {
                throw new IllegalStateException("could not create a probe to-do on every partition in " + attempt + " attempts");
            }
            Map<String, Object> variables = new HashMap<>();
            variables.put("t", "probe");
            Optional<String> id = sender.send("mutation($t: String!, $k: String) { newTodo(text: $t, idempotencyKey: $k) "
                    + CommandSender.RESULT + " }", variables, attempt).map(todo -> todo.path("id").asText());
            if (id.isPresent()) {
                int partition = partitionOf(id.get(), partitions);
                if (todos[partition] == null) {
                    todos[partition] = id.get();
                    found++;
                }
            }
        }
        return new PipelineProbe(sender, todos);
    }

    /** The partition Kafka's default partitioner gives a record keyed {@code key}. */
    static int partitionOf(String key, int partitions) {
        return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % partitions;
    }

    void start() {
        running = true;
        thread = Thread.ofPlatform().name("probe").daemon().start(this::run);
    }

    void stop() throws InterruptedException {
        running = false;
        if (thread != null) {
            thread.join(CommandSender.GIVE_UP.plusSeconds(30).toMillis());
        }
    }

    private void run() {
        int round = 0;
        while (running) {
            for (int p = 0; p < todos.length && running; p++) {
                try {
                    write(p, round);
                    Thread.sleep(1_000 / todos.length);
                } catch (InterruptedException e) {
                    return;
                }
            }
            round++;
        }
    }

    private void write(int partition, int round) throws InterruptedException {
        List<Write> done = writes.get(partition);
        Map<String, Object> variables = new HashMap<>();
        variables.put("id", todos[partition]);
        variables.put("text", "probe " + partition + " " + done.size());
        if (sender.send(SET, variables, partition + round).isPresent()) {
            done.add(new Write(System.currentTimeMillis()));
        }
    }

    /** Looks at the read model once: notes the writes that show now. */
    void look(Connection readModel, String view) throws SQLException {
        long now = System.currentTimeMillis();
        try (PreparedStatement ps = readModel.prepareStatement("SELECT id, description FROM " + view + " WHERE id = ANY(?)")) {
            Array ids = readModel.createArrayOf("text", todos);
            ps.setArray(1, ids);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String[] words = rs.getString(2).split(" ");
                    if (words.length != 3 || !words[0].equals("probe")) {
                        continue;
                    }
                    int partition = Integer.parseInt(words[1]);
                    int shown = Integer.parseInt(words[2]);
                    List<Write> done = writes.get(partition);
                    for (int n = Math.min(shown, done.size() - 1); n >= 0 && done.get(n).seenMillis == 0; n--) {
                        done.get(n).seenMillis = now;
                    }
                }
            }
        }
    }

    /**
     * When the pipeline moved again after {@code sinceMillis}: the moment by which, on every partition, a
     * write acknowledged at or after it showed in the read model; empty while some partition has none yet.
     */
    OptionalLong movingAgainAfter(long sinceMillis) {
        long latest = 0;
        for (List<Write> done : writes) {
            long first = 0;
            for (Write write : done) {
                if (write.ackMillis >= sinceMillis && write.seenMillis != 0) {
                    first = write.seenMillis;
                    break;
                }
                if (write.ackMillis >= sinceMillis) {
                    break; // the first write after it has not shown yet
                }
            }
            if (first == 0) {
                return OptionalLong.empty();
            }
            latest = Math.max(latest, first);
        }
        return OptionalLong.of(latest);
    }

    /** How long the oldest acknowledged write that does not show yet has waited, on the worst partition (ms). */
    long stalenessMillis(long nowMillis) {
        long worst = 0;
        for (List<Write> done : writes) {
            for (Write write : done) {
                if (write.seenMillis == 0) {
                    worst = Math.max(worst, nowMillis - write.ackMillis);
                    break;
                }
            }
        }
        return worst;
    }

    /** Whether every write acknowledged so far shows in the read model. */
    boolean allShown() {
        return writes.stream().allMatch(done -> done.stream().allMatch(w -> w.seenMillis != 0));
    }

    List<String> todos() {
        return List.of(todos);
    }
}
