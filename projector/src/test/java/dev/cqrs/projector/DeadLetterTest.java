package dev.cqrs.projector;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cqrs.core.CommandMetadata;
import dev.cqrs.core.contract.ContractEvent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Poison events go to the dead-letter topic with their error; the projection goes on; they can be replayed. */
class DeadLetterTest {

    private final ProjectorTestSupport support = new ProjectorTestSupport("dead_letters");

    @AfterEach
    void close() {
        support.close();
    }

    @Test
    void aMalformedRecordAndAThrowingHandlerAreDeadLetteredAndLaterEventsAreStillProjected() throws Exception {
        AtomicBoolean broken = new AtomicBoolean(true);
        PostgresProjection<ContractEvent> projection = support.counterProjection(renamed -> {
            if (broken.get() && renamed.name().equals("boom")) {
                throw new IllegalStateException("the handler cannot take 'boom'");
            }
        });
        try (Projector projector = Projector.builder(support.projectorConfig()).projection(projection).start()) {
            support.counters.append("a", List.of(new ContractEvent.Incremented(1)), Optional.empty(), CommandMetadata.create());
            produceGarbage();
            support.counters.append("b", List.of(new ContractEvent.Renamed("boom")), Optional.empty(), CommandMetadata.create());
            support.counters.append("a", List.of(new ContractEvent.Incremented(2)), Optional.empty(), CommandMetadata.create());
            support.counters.append("c", List.of(new ContractEvent.Renamed("fine")), Optional.empty(), CommandMetadata.create());

            assertThat(projector.readYourWrites().awaitPosition("counters", support.headPosition(), Duration.ofSeconds(60))).isTrue();
            var rows = support.readModel();
            assertThat(rows.get("a")).isEqualTo(new ProjectorTestSupport.Counter(3, 2, ""));
            assertThat(rows.get("c")).isEqualTo(new ProjectorTestSupport.Counter(0, 1, "fine"));
            assertThat(rows).doesNotContainKey("b");

            List<DeadLetter> letters = awaitDeadLetters(projector, 2);
            assertThat(letters).extracting(DeadLetter::stage).containsExactlyInAnyOrder("DECODE", "HANDLER");
            DeadLetter handler = letters.stream().filter(l -> l.stage().equals("HANDLER")).findFirst().orElseThrow();
            assertThat(handler.error()).contains("the handler cannot take 'boom'");
            assertThat(handler.event()).hasValueSatisfying(e -> assertThat(e.stream().aggregateId()).isEqualTo("b"));
            DeadLetter garbage = letters.stream().filter(l -> l.stage().equals("DECODE")).findFirst().orElseThrow();
            assertThat(garbage.error()).contains("not an event published by the relay");
            assertThat(garbage.source()).startsWith(support.topic);
            assertThat(projector.status("counters").deadLettered()).isEqualTo(2);

            broken.set(false);
            assertThat(projector.replayDeadLetters("counters")).isEqualTo(1);
            assertThat(support.readModel().get("b")).isEqualTo(new ProjectorTestSupport.Counter(0, 1, "boom"));
            assertThat(projector.replayDeadLetters("counters")).as("a dead letter is replayed once").isZero();
            assertThat(support.readModel().get("b")).isEqualTo(new ProjectorTestSupport.Counter(0, 1, "boom"));
        }
    }

    /**
     * A record whose statements break a constraint is set aside at the SQL stage, and its partition's position
     * moves past it in PostgreSQL; the copy to the dead-letter topic goes in the task's Kafka transaction.
     * When that transaction aborts (here: the process is killed before its next Kafka commit), the record
     * comes again and is skipped as applied. It must still be a dead letter, never simply gone.
     */
    @Test
    void aDeadLetterOfTheSqlStageSurvivesAnAbortedKafkaTransaction(@org.junit.jupiter.api.io.TempDir java.nio.file.Path logs)
            throws Exception {
        support.counters.append("before", List.of(new ContractEvent.Incremented(1)), Optional.empty(), CommandMetadata.create());
        var boom = support.counters.append("x", List.of(new ContractEvent.Renamed("sql-boom")), Optional.empty(),
                CommandMetadata.create());
        support.counters.append("x", List.of(new ContractEvent.Renamed(CounterProjectorMain.HALT)), Optional.empty(),
                CommandMetadata.create());
        support.counters.append("after", List.of(new ContractEvent.Incremented(2)), Optional.empty(), CommandMetadata.create());

        java.util.Map<String, Object> settings = support.projectorSettings();
        // The broker aborts the halted process's open transaction once its timeout has passed (the broker looks
        // every second): the restarted projector gets the partitions' offsets, and the records, only then. Short,
        // so that the wait past it is short; still far longer than the halted process's transaction lives (it
        // begins at the dead letter's send and the halt follows a few records later).
        settings.put("streams.producer.transaction.timeout.ms", 8_000);
        // The restarted projector takes the halted one's place in the group at once.
        settings.put("streams.consumer.group.instance.id", "dead-letter-test-projector");
        java.util.Map<String, Object> halting = new java.util.HashMap<>(settings);
        halting.put("halt.after.position", boom.lastPosition());
        // No Kafka commit in the halted process before its halt (it halts within a second or two of its stream
        // thread's start): its transaction is the one left to abort. Kafka Streams wants the transaction
        // timeout at least as long as the commit interval.
        halting.put(ProjectorConfig.COMMIT_INTERVAL_MS, 8_000L);
        java.nio.file.Path log = logs.resolve("projector.log");
        Process projector = ProjectorTestSupport.startProjectorProcess(support.topic, halting, log);
        try {
            assertThat(projector.waitFor(90, java.util.concurrent.TimeUnit.SECONDS))
                    .as("the projector process halts on its cue; its output:%n%s", ProjectorTestSupport.tail(log, 40)).isTrue();
            assertThat(projector.exitValue()).as("it halted on its cue; its output:%n%s", ProjectorTestSupport.tail(log, 40))
                    .isEqualTo(3);
        } finally {
            projector.destroyForcibly();
        }

        try (Projector restarted = Projector.builder(new ProjectorConfig(settings)).projection(support.counterProjection()).start()) {
            assertThat(restarted.readYourWrites().awaitPosition("counters", support.headPosition(), Duration.ofSeconds(60))).isTrue();
            assertThat(support.readModel()).containsKeys("before", "after");
            assertThat(support.readModel().get("x").name()).as("the rename that broke the constraint was never applied")
                    .isEqualTo(CounterProjectorMain.HALT);
            assertThat(awaitDeadLetters(restarted, 1)).as("the dead letters after the Kafka transaction aborted")
                    .anySatisfy(letter -> {
                        assertThat(letter.stage()).isEqualTo("SQL");
                        assertThat(letter.event()).hasValueSatisfying(e -> assertThat(e.globalPosition()).isEqualTo(boom.lastPosition()));
                        assertThat(letter.error()).contains("sql-boom");
                    });
        }
    }

    private List<DeadLetter> awaitDeadLetters(Projector projector, int count) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        List<DeadLetter> letters = projector.deadLetters("counters");
        while (letters.size() < count && System.nanoTime() < deadline) {
            Thread.sleep(200);
            letters = projector.deadLetters("counters");
        }
        return letters;
    }

    private void produceGarbage() {
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                ProjectorTestSupport.bootstrap()), new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(support.topic, "garbage", "\u0000not an event".getBytes(StandardCharsets.UTF_8)));
            producer.flush();
        }
    }
}
