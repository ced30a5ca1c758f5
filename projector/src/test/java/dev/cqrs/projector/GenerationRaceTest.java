package dev.cqrs.projector;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cqrs.embedded.postgres.PostgresServer;
import dev.cqrs.embedded.postgres.TestDatabase;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Projector processes of one service start together on a fresh read-model database (a deployment's first
 * start): each prepares the registry and gives each projection its first generation if it has none.
 * Exactly one generation must come of it, active, and no start may fail. The fault suite once saw two
 * (generation 1 active, generation 2 building, which then took over).
 */
class GenerationRaceTest {

    private static final int RACERS = 6;
    private static final int ROUNDS = 5;

    @Test
    void projectorsStartingTogetherOnAFreshDatabaseMakeOneGenerationAndAllStart() throws Exception {
        PostgresProjection<?> projection = ProjectorTestSupport.counterProjection("race.events.counter", e -> { });
        ExecutorService pool = Executors.newFixedThreadPool(RACERS);
        try {
            for (int round = 0; round < ROUNDS; round++) {
                TestDatabase db = PostgresServer.shared().createDatabase("generation_race");
                CountDownLatch start = new CountDownLatch(1);
                List<Future<?>> racers = new ArrayList<>();
                for (int i = 0; i < RACERS; i++) {
                    racers.add(pool.submit(() -> {
                        start.await();
                        try (ReadModelDatabase database = new ReadModelDatabase(db.jdbcUrl(), db.user(), db.password(), "read",
                                "cqrs_projections", 2)) {
                            database.ensureFirstGeneration(projection);
                        }
                        return null;
                    }));
                }
                start.countDown();
                List<String> failures = new ArrayList<>();
                for (Future<?> racer : racers) {
                    try {
                        racer.get(60, TimeUnit.SECONDS);
                    } catch (java.util.concurrent.ExecutionException e) {
                        failures.add(e.getCause().toString());
                    }
                }
                try (ReadModelDatabase database = new ReadModelDatabase(db.jdbcUrl(), db.user(), db.password(), "read",
                        "cqrs_projections", 1)) {
                    assertThat(database.generations("counters")).as("the generations after round " + round)
                            .containsExactly(new ReadModelDatabase.Registered(1, ReadModelDatabase.GenerationState.ACTIVE));
                }
                assertThat(failures).as("starts that failed in round " + round).isEmpty();
            }
        } finally {
            pool.shutdownNow();
            assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).as("the racers ended").isTrue();
        }
    }
}
