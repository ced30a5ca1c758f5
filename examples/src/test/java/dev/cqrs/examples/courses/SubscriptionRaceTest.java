package dev.cqrs.examples.courses;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cqrs.core.AppendResult;
import dev.cqrs.core.CommandMetadata;
import dev.cqrs.core.Precondition;
import dev.cqrs.core.dcb.AppendCondition;
import dev.cqrs.core.dcb.AppendConditionFailedException;
import dev.cqrs.core.dcb.DcbEventStore;
import dev.cqrs.core.dcb.DecisionResult;
import dev.cqrs.core.dcb.MatchingEvents;
import dev.cqrs.core.dcb.Query;
import dev.cqrs.embedded.postgres.PostgresServer;
import dev.cqrs.embedded.postgres.TestDatabase;
import dev.cqrs.postgres.PostgresEventStore;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Issue 17's race, on PostgreSQL: 40 students race for the last 5 seats of a course and, at the same
 * time, for the last place in their limit of 5 courses (each takes 4 already and also tries another
 * course with room). Rounds: {@code -Dcqrs.dcb.race.rounds} (3 in the default suite; 200 for a long run).
 *
 * <p>Checked on the store itself (SQL on the events table, not the code under test) after every round:
 * never over capacity, never over the limit, every accepted subscription in the store at the position
 * its result names (none lost, none extra), every refusal either a rule that the final state confirms
 * or a reported conflict naming the event that got in between, and no other failure.
 */
class SubscriptionRaceTest {

    private static final Logger log = LoggerFactory.getLogger(SubscriptionRaceTest.class);
    private static final int STUDENTS = 40;
    private static final int CAPACITY = 30;
    private static final int SEATS_LEFT = 5;

    private static final TestDatabase db = PostgresServer.shared().createDatabase("courserace");
    private static final PostgresEventStore store = PostgresEventStore.builder(db.jdbcUrl(), db.user(), db.password())
            .poolSize(STUDENTS + 4).build();

    @AfterAll
    static void close() {
        store.close();
    }

    private static CommandMetadata meta() {
        return CommandMetadata.create();
    }

    @Test
    void fortyStudentsRaceForTheLastFiveSeatsAndTheirLastCourse() throws Exception {
        int rounds = Integer.getInteger("cqrs.dcb.race.rounds", 3);
        Counting counting = new Counting(store.dcb(Course.TYPE, Courses.CODEC));
        Courses courses = Courses.on(store.events(Course.TYPE, Courses.CODEC), counting);
        Map<String, AtomicInteger> totals = new TreeMap<>();
        for (int round = 1; round <= rounds; round++) {
            Map<String, Integer> outcomes = race(courses, counting, "r" + round + "-", new Random(round));
            outcomes.forEach((k, v) -> totals.computeIfAbsent(k, x -> new AtomicInteger()).addAndGet(v));
            log.info("Round {} of {}: {}", round, rounds, outcomes);
        }
        log.info("{} rounds: {}; appends refused by their condition: {}", rounds, totals, counting.conflicts.get());
        assertThat(counting.failures).as("no append failed other than by its condition").isEmpty();
    }

    private Map<String, Integer> race(Courses courses, Counting counting, String round, Random random) throws Exception {
        String full = round + "algebra";
        String roomy = round + "geometry";
        courses.define(full, "Algebra", CAPACITY, meta());
        courses.define(roomy, "Geometry", 100, meta());
        for (int i = 0; i < CAPACITY - SEATS_LEFT; i++) {
            accepted(courses.subscribe(round + "early-" + i, full, meta()));
        }
        List<String> others = new ArrayList<>();
        for (int c = 1; c < SubscribeStudent.MAX_COURSES; c++) {
            others.add(round + "other-" + c);
            courses.define(round + "other-" + c, "Other " + c, 100, meta());
        }
        List<String> students = new ArrayList<>();
        for (int s = 0; s < STUDENTS; s++) {
            String student = round + "student-" + s;
            students.add(student);
            for (String other : others) {
                accepted(courses.subscribe(student, other, meta()));
            }
        }

        // The race: every student tries both courses, in an order of its own, all released at once.
        record Attempt(String student, String course, DecisionResult<SubscribeStudent.State, CourseEvent> result) {
        }
        List<Attempt> attempts = Collections.synchronizedList(new ArrayList<>());
        ExecutorService threads = Executors.newFixedThreadPool(STUDENTS);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> running = new ArrayList<>();
            for (String student : students) {
                List<String> order = random.nextBoolean() ? List.of(full, roomy) : List.of(roomy, full);
                running.add(threads.submit(() -> {
                    if (!start.await(30, TimeUnit.SECONDS)) {
                        throw new IllegalStateException("the race did not start");
                    }
                    for (String course : order) {
                        attempts.add(new Attempt(student, course, courses.subscribe(student, course, meta())));
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> future : running) {
                future.get(120, TimeUnit.SECONDS);
            }
        } finally {
            threads.shutdownNow();
        }

        Map<String, Integer> outcomes = new TreeMap<>();
        Map<String, Integer> acceptedPerCourse = new ConcurrentHashMap<>();
        Map<String, Integer> acceptedPerStudent = new ConcurrentHashMap<>();
        int seatsTaken = subscriptions("aggregate_id = ?", full);
        for (Attempt attempt : attempts) {
            switch (attempt.result()) {
                case DecisionResult.Accepted<SubscribeStudent.State, CourseEvent> a -> {
                    outcomes.merge("accepted", 1, Integer::sum);
                    acceptedPerCourse.merge(attempt.course(), 1, Integer::sum);
                    acceptedPerStudent.merge(attempt.student(), 1, Integer::sum);
                    assertThat(eventAt(a.append().orElseThrow()))
                            .as("the accepted subscription of " + attempt.student() + " to " + attempt.course())
                            .isEqualTo(attempt.course() + "/StudentSubscribed/" + attempt.student());
                }
                case DecisionResult.Rejected<SubscribeStudent.State, CourseEvent> r -> {
                    String code = r.rejection().code();
                    outcomes.merge(code, 1, Integer::sum);
                    switch (code) {
                        case "COURSE_FULL" -> assertThat(seatsTaken).as(attempt + ": the course is full in the end")
                                .isEqualTo(CAPACITY);
                        case "STUDENT_LIMIT" -> assertThat(subscriptions("tags @> ARRAY[?::text]", "student:" + attempt.student()))
                                .as(attempt + ": the student takes five courses in the end").isEqualTo(SubscribeStudent.MAX_COURSES);
                        default -> throw new AssertionError("unexpected refusal " + r.rejection() + " of " + attempt);
                    }
                }
                case DecisionResult.Conflict<SubscribeStudent.State, CourseEvent> c -> {
                    outcomes.merge("conflict", 1, Integer::sum);
                    AppendCondition condition = c.failure().condition();
                    assertThat(c.failure().found().position()).as("a conflict names an event after the read")
                            .isGreaterThan(condition.after());
                    assertThat(condition.failIfEventsMatch().matches(c.failure().found().eventType(), c.failure().found().tags()))
                            .as("the event named matches the decision's query").isTrue();
                }
            }
        }
        assertThat(attempts).hasSize(2 * STUDENTS);
        assertThat(seatsTaken).as("seats of " + full + " (" + outcomes + ")").isLessThanOrEqualTo(CAPACITY)
                .isEqualTo(CAPACITY - SEATS_LEFT + acceptedPerCourse.getOrDefault(full, 0));
        assertThat(subscriptions("aggregate_id = ?", roomy)).as("seats of " + roomy)
                .isEqualTo(acceptedPerCourse.getOrDefault(roomy, 0));
        for (String student : students) {
            assertThat(subscriptions("tags @> ARRAY[?::text]", "student:" + student)).as("courses of " + student)
                    .isLessThanOrEqualTo(SubscribeStudent.MAX_COURSES)
                    .isEqualTo(SubscribeStudent.MAX_COURSES - 1 + acceptedPerStudent.getOrDefault(student, 0));
        }
        return outcomes;
    }

    private static void accepted(DecisionResult<?, ?> result) {
        assertThat(result).as("a subscription of the set-up").isInstanceOf(DecisionResult.Accepted.class);
    }

    /** StudentSubscribed events in the store, counted by SQL: {@code where} with one text parameter. */
    private static int subscriptions(String where, String value) throws Exception {
        try (Connection c = db.dataSource().getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM cqrs.events WHERE aggregate_type = 'course'"
                     + " AND event_type = 'StudentSubscribed' AND " + where)) {
            ps.setString(1, value);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    /** The event at an append's position: {@code stream/type/student}. */
    private static String eventAt(AppendResult append) throws Exception {
        try (Connection c = db.dataSource().getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT aggregate_id, event_type, payload->>'studentId' FROM"
                     + " (SELECT aggregate_id, event_type, convert_from(payload, 'UTF8')::jsonb AS payload FROM cqrs.events"
                     + " WHERE global_position = ?) e")) {
            ps.setLong(1, append.lastPosition());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) + "/" + rs.getString(2) + "/" + rs.getString(3) : "nothing";
            }
        }
    }

    /** The DCB store, counting what its appends end in: the conflicts, and anything else that failed. */
    private static final class Counting implements DcbEventStore<CourseEvent> {
        final DcbEventStore<CourseEvent> store;
        final AtomicInteger conflicts = new AtomicInteger();
        final List<RuntimeException> failures = Collections.synchronizedList(new ArrayList<>());

        Counting(DcbEventStore<CourseEvent> store) {
            this.store = store;
        }

        @Override
        public String aggregateType() {
            return store.aggregateType();
        }

        @Override
        public MatchingEvents<CourseEvent> read(Query query, long after, int maxCount) {
            return store.read(query, after, maxCount);
        }

        @Override
        public AppendResult append(String aggregateId, List<? extends CourseEvent> events, Optional<Precondition> precondition,
                                   Optional<AppendCondition> condition, CommandMetadata metadata) {
            try {
                return store.append(aggregateId, events, precondition, condition, metadata);
            } catch (AppendConditionFailedException e) {
                conflicts.incrementAndGet();
                throw e;
            } catch (RuntimeException e) {
                failures.add(e);
                throw e;
            }
        }

        @Override
        public Optional<AppendResult> findAppend(String idempotencyKey) {
            return store.findAppend(idempotencyKey);
        }
    }
}
