package dev.cqrs.examples.courses;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cqrs.core.CommandMetadata;
import dev.cqrs.core.CommandResult;
import dev.cqrs.core.dcb.DecisionResult;
import dev.cqrs.core.memory.MemoryEventStore;
import dev.cqrs.examples.courses.CourseEvent.CourseCapacityChanged;
import dev.cqrs.examples.courses.CourseEvent.StudentSubscribed;
import dev.cqrs.examples.courses.CourseState.Defined;
import org.junit.jupiter.api.Test;

/** The aggregate and the decisions over the same streams, on the memory store. */
class CoursesInMemoryTest {

    private final MemoryEventStore<CourseEvent> store = MemoryEventStore.create(Course.TYPE);
    private final Courses courses = Courses.on(store);

    private static CommandMetadata meta() {
        return CommandMetadata.create();
    }

    @Test
    void subscriptionsGoToTheCoursesStreamWhereTheAggregateCountsThem() {
        courses.define("c1", "Algebra", 2, meta());
        assertThat(courses.subscribe("s1", "c1", meta())).isInstanceOf(DecisionResult.Accepted.class);
        assertThat(courses.subscribe("s2", "c1", meta())).isInstanceOf(DecisionResult.Accepted.class);
        assertThat(courses.subscribe("s3", "c1", meta())).isInstanceOfSatisfying(DecisionResult.Rejected.class,
                r -> assertThat(r.rejection().code()).isEqualTo("COURSE_FULL"));

        assertThat(store.readEvents("c1", dev.cqrs.core.Since.beginning())).extracting(e -> e.event().getClass().getSimpleName())
                .containsExactly("CourseDefined", "StudentSubscribed", "StudentSubscribed");
        assertThat(courses.changeCapacity("c1", 1, meta())).isInstanceOfSatisfying(CommandResult.Rejected.class,
                r -> assertThat(r.rejection().code()).isEqualTo("CAPACITY_BELOW_SUBSCRIPTIONS"));
        assertThat(courses.rename("c1", "Linear algebra", meta())).isInstanceOfSatisfying(CommandResult.Accepted.class,
                a -> assertThat(a.aggregate().state()).isEqualTo(new Defined("Linear algebra", 2, 2)));
    }

    @Test
    void aCapacityChangeOpensSeatsThatTheNextDecisionSees() {
        courses.define("c1", "Algebra", 1, meta());
        courses.subscribe("s1", "c1", meta());
        courses.changeCapacity("c1", 2, meta());
        assertThat(courses.subscribe("s2", "c1", meta())).isInstanceOfSatisfying(DecisionResult.Accepted.class,
                a -> assertThat(a.events()).containsExactly(new StudentSubscribed("s2", "c1")));
        assertThat(store.readEvents("c1", dev.cqrs.core.Since.beginning())).extracting(e -> e.event())
                .contains(new CourseCapacityChanged("c1", 2));
    }

    @Test
    void anIdempotencyKeyMakesASubscriptionHappenOnce() {
        courses.define("c1", "Algebra", 5, meta());
        CommandMetadata keyed = meta().withIdempotencyKey("subscribe-s1-c1");
        var first = courses.subscribe("s1", "c1", keyed);
        var again = courses.subscribe("s1", "c1", keyed);
        assertThat(first).isInstanceOfSatisfying(DecisionResult.Accepted.class, a -> assertThat(a.replayed()).isFalse());
        assertThat(again).isInstanceOfSatisfying(DecisionResult.Accepted.class, a -> {
            assertThat(a.replayed()).isTrue();
            assertThat(a.events()).containsExactly(new StudentSubscribed("s1", "c1"));
        });
        assertThat(courses.unsubscribe("s1", "c1", meta())).isInstanceOf(DecisionResult.Accepted.class);
        assertThat(courses.unsubscribe("s1", "c1", meta())).isInstanceOfSatisfying(DecisionResult.Rejected.class,
                r -> assertThat(r.rejection().code()).isEqualTo("NOT_SUBSCRIBED"));
    }
}
