package dev.cqrs.examples.courses;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cqrs.core.testing.DecisionScenario;
import dev.cqrs.examples.courses.CourseEvent.CourseCapacityChanged;
import dev.cqrs.examples.courses.CourseEvent.CourseDefined;
import dev.cqrs.examples.courses.CourseEvent.CourseRenamed;
import dev.cqrs.examples.courses.CourseEvent.StudentSubscribed;
import dev.cqrs.examples.courses.CourseEvent.StudentUnsubscribed;
import dev.cqrs.examples.courses.SubscribeStudent.Subscribe;
import dev.cqrs.examples.courses.UnsubscribeStudent.Unsubscribe;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The subscription decisions, given the events of the store (the fixture applies their queries). */
class SubscribeStudentTest {

    private final DecisionScenario<SubscribeStudent.State, Subscribe, CourseEvent> subscribe =
            DecisionScenario.of(new SubscribeStudent());
    private final DecisionScenario<Boolean, Unsubscribe, CourseEvent> unsubscribe =
            DecisionScenario.of(new UnsubscribeStudent());

    @Test
    void aStudentSubscribesToACourseWithASeatFree() {
        subscribe.given(new CourseDefined("c1", "Algebra", 2), new StudentSubscribed("s1", "c1"))
                .when(new Subscribe("s2", "c1"))
                .thenEvents(new StudentSubscribed("s2", "c1"))
                .thenEventsMatchTheQuery();
    }

    @Test
    void aFullCourseRefusesAndAFreedOrAddedSeatCounts() {
        var full = List.<CourseEvent>of(new CourseDefined("c1", "Algebra", 1), new StudentSubscribed("s1", "c1"));
        subscribe.given(full).when(new Subscribe("s2", "c1")).thenRejected("COURSE_FULL");

        List<CourseEvent> freed = new ArrayList<>(full);
        freed.add(new StudentUnsubscribed("s1", "c1"));
        subscribe.given(freed).when(new Subscribe("s2", "c1")).thenEvents(new StudentSubscribed("s2", "c1"));

        List<CourseEvent> grown = new ArrayList<>(full);
        grown.add(new CourseCapacityChanged("c1", 2));
        subscribe.given(grown).when(new Subscribe("s2", "c1")).thenEvents(new StudentSubscribed("s2", "c1"));
    }

    @Test
    void aStudentTakesAtMostFiveCoursesAndEachOnce() {
        List<CourseEvent> store = new ArrayList<>();
        store.add(new CourseDefined("c9", "Geometry", 30));
        for (int c = 1; c <= SubscribeStudent.MAX_COURSES; c++) {
            store.add(new CourseDefined("c" + c, "Course " + c, 30));
            store.add(new StudentSubscribed("s1", "c" + c));
        }
        subscribe.given(store).when(new Subscribe("s1", "c9")).thenRejected("STUDENT_LIMIT");
        subscribe.given(store).when(new Subscribe("s1", "c3")).thenRejected("ALREADY_SUBSCRIBED");
        store.add(new StudentUnsubscribed("s1", "c3"));
        subscribe.given(store).when(new Subscribe("s1", "c9")).thenEvents(new StudentSubscribed("s1", "c9"));
    }

    @Test
    void theDecisionSeesOnlyWhatItsQueryMatches() {
        var then = subscribe.given(new CourseDefined("c1", "Algebra", 1), new CourseRenamed("c1", "Linear algebra"),
                        new CourseDefined("c2", "Geometry", 1), new StudentSubscribed("s9", "c2"),
                        new StudentSubscribed("s9", "c3"))
                .when(new Subscribe("s1", "c1"))
                .thenEvents(new StudentSubscribed("s1", "c1"));
        // Not the rename (its type is not asked for), not another course's or another student's subscriptions.
        assertThat(then.seen()).containsExactly(new CourseDefined("c1", "Algebra", 1));
        subscribe.when(new Subscribe("s1", "nowhere")).thenRejected("COURSE_NOT_FOUND");
    }

    @Test
    void aStudentUnsubscribesOnlyFromACourseTheyTake() {
        unsubscribe.given(new CourseDefined("c1", "Algebra", 3), new StudentSubscribed("s1", "c1"))
                .when(new Unsubscribe("s1", "c1"))
                .thenEvents(new StudentUnsubscribed("s1", "c1"))
                .thenEventsMatchTheQuery();
        unsubscribe.given(new StudentSubscribed("s1", "c1"), new StudentUnsubscribed("s1", "c1"), new StudentSubscribed("s2", "c1"))
                .when(new Unsubscribe("s1", "c1"))
                .thenRejected("NOT_SUBSCRIBED");
    }
}
