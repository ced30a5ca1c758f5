package dev.cqrs.projector;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cqrs.codec.json.JsonStateCodec;
import dev.cqrs.core.contract.ContractCodecs;
import dev.cqrs.core.contract.ContractEvent;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A read model in a Kafka Streams state store, queried by aggregate id. */
class StateProjectionTest {

    /** What the state projection keeps per counter. */
    public record Tally(long events, long total) {
    }

    private final ProjectorTestSupport support = new ProjectorTestSupport("state");

    @AfterEach
    void close() {
        support.close();
    }

    @Test
    void eachAggregatesValueIsTheFoldOfItsEventsAndCanBeQueried() throws Exception {
        StateProjection<Tally, ContractEvent> tallies = StateProjection.builder("tallies", support.topic, ContractCodecs.events(),
                        JsonStateCodec.of(Tally.class))
                .initial(new Tally(0, 0))
                .on(ContractEvent.Incremented.class, (t, e) -> new Tally(t.events() + 1, t.total() + e.event().by()))
                .on(ContractEvent.Renamed.class, (t, e) -> new Tally(t.events() + 1, t.total()))
                .build();
        try (Projector projector = Projector.builder(support.projectorConfig()).stateProjection(tallies).start()) {
            ProjectorTestSupport.join(support.write(2_000, 2));
            Map<String, ProjectorTestSupport.Counter> expected = support.foldOfTheStore();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!matches(projector, tallies, expected) && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            expected.forEach((id, counter) -> assertThat(query(projector, tallies, id))
                    .as(id).contains(new Tally(counter.events(), counter.total())));
            assertThat(query(projector, tallies, "never-written")).isEmpty();
        }
    }

    private static boolean matches(Projector projector, StateProjection<Tally, ContractEvent> tallies,
                                   Map<String, ProjectorTestSupport.Counter> expected) {
        return expected.entrySet().stream().allMatch(e -> query(projector, tallies, e.getKey())
                .equals(Optional.of(new Tally(e.getValue().events(), e.getValue().total()))));
    }

    private static Optional<Tally> query(Projector projector, StateProjection<Tally, ContractEvent> tallies, String id) {
        try {
            return projector.query(tallies, id);
        } catch (org.apache.kafka.streams.errors.InvalidStateStoreException e) {
            return Optional.of(new Tally(-1, -1)); // not queryable yet (starting or rebalancing)
        }
    }
}
