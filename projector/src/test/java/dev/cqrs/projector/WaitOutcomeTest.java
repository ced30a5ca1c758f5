package dev.cqrs.projector;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cqrs.core.AppendResult;
import dev.cqrs.core.CommandMetadata;
import dev.cqrs.core.contract.ContractCodecs;
import dev.cqrs.core.contract.ContractEvent;
import dev.cqrs.core.reaction.Reaction;
import dev.cqrs.core.RecordedEvent;
import dev.cqrs.core.reaction.ReactionPredicate;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A wait for a position tells apart the three ways it can end: the read model (or reactor) reflects the
 * append; it moved past it but set the append aside as a dead letter; or it did not get there in time.
 * "Reached" for a dead-lettered append would make a client believe a write is visible that never will be.
 */
class WaitOutcomeTest {

    private static final Duration WAIT = Duration.ofSeconds(60);

    private final ProjectorTestSupport support = new ProjectorTestSupport("wait_outcome");

    @AfterEach
    void close() {
        support.close();
    }

    @Test
    void aWaitForADeadLetteredAppendSaysSoAndIsNotReached() throws Exception {
        PostgresProjection<ContractEvent> projection = support.counterProjection(renamed -> {
            if (renamed.name().equals("boom")) {
                throw new IllegalStateException("the handler cannot take 'boom'");
            }
        });
        try (Projector projector = Projector.builder(support.projectorConfig()).projection(projection).start()) {
            ReadYourWrites waits = projector.readYourWrites();
            AppendResult handlerFails = append("h", new ContractEvent.Renamed("boom"));
            AppendResult sqlFails = append("s", new ContractEvent.Renamed("sql-boom"));
            AppendResult fine = append("f", new ContractEvent.Incremented(3));

            assertThat(waits.awaitPosition("counters", handlerFails.lastPosition(), WAIT))
                    .as("an append whose handler failed is not reached").isFalse();
            assertThat(waits.await("counters", handlerFails.lastPosition(), WAIT)).isEqualTo(ReadYourWrites.Outcome.DEAD_LETTERED);
            assertThat(waits.awaitPosition("counters", sqlFails.lastPosition(), WAIT))
                    .as("an append whose statements failed is not reached").isFalse();
            assertThat(waits.await("counters", sqlFails.lastPosition(), WAIT)).isEqualTo(ReadYourWrites.Outcome.DEAD_LETTERED);
            assertThat(waits.await("counters", fine.lastPosition(), WAIT)).isEqualTo(ReadYourWrites.Outcome.REACHED);
            assertThat(waits.awaitPosition("counters", fine.lastPosition(), WAIT)).isTrue();
            assertThat(support.readModel()).containsKey("f").doesNotContainKeys("h", "s");
            assertThat(waits.await("counters", support.headPosition() + (1L << 20), Duration.ofMillis(300)))
                    .isEqualTo(ReadYourWrites.Outcome.TIMED_OUT);
        }
    }

    @Test
    void aWaitForAReactorTellsReachedDeadLetteredAndTimedOutApart() throws Exception {
        java.util.Set<String> reactedTo = java.util.concurrent.ConcurrentHashMap.newKeySet();
        Reaction<ContractEvent> reaction = new Reaction<>() {
            @Override
            public String name() {
                return "renames";
            }

            @Override
            public ReactionPredicate predicate() {
                return ReactionPredicate.aggregate("counter").withEventTypes("Renamed");
            }

            @Override
            public void react(RecordedEvent<ContractEvent> event) {
                if (event.event() instanceof ContractEvent.Renamed(String name) && name.equals("boom")) {
                    throw new IllegalStateException("the reaction cannot take 'boom'");
                }
                reactedTo.add(event.stream().aggregateId());
            }
        };
        try (Projector projector = Projector.builder(support.projectorConfig())
                .reactor(Reactor.commands(support.topic, ContractCodecs.events(), reaction)).start()) {
            AppendResult fails = append("r1", new ContractEvent.Renamed("boom"));
            AppendResult fine = append("r2", new ContractEvent.Renamed("fine"));
            // More events on other partitions, so that "reached" cannot come from an idle topic alone.
            for (int i = 0; i < 20; i++) {
                append("other-" + i, new ContractEvent.Incremented(1));
            }
            AppendResult last = append("r3", new ContractEvent.Renamed("also fine"));

            assertThat(projector.awaitReaction("renames", fails.lastPosition(), WAIT)).isEqualTo(ReadYourWrites.Outcome.DEAD_LETTERED);
            assertThat(projector.awaitReaction("renames", fine.lastPosition(), WAIT)).isEqualTo(ReadYourWrites.Outcome.REACHED);
            assertThat(reactedTo).contains("r2");
            assertThat(projector.awaitReaction("renames", last.lastPosition(), WAIT)).isEqualTo(ReadYourWrites.Outcome.REACHED);
            assertThat(reactedTo).as("reached means the reaction ran").contains("r3").doesNotContain("r1");
            assertThat(projector.awaitReaction("renames", support.headPosition() + (1L << 20), Duration.ofMillis(500)))
                    .isEqualTo(ReadYourWrites.Outcome.TIMED_OUT);
        }
    }

    private AppendResult append(String id, ContractEvent event) {
        return support.counters.append(id, List.of(event), Optional.empty(), CommandMetadata.create());
    }
}
