package dev.cqrs.examples.courses;

import dev.cqrs.core.testing.AggregateScenario;
import dev.cqrs.examples.courses.CourseCommand.ChangeCapacity;
import dev.cqrs.examples.courses.CourseCommand.DefineCourse;
import dev.cqrs.examples.courses.CourseCommand.RenameCourse;
import dev.cqrs.examples.courses.CourseEvent.CourseCapacityChanged;
import dev.cqrs.examples.courses.CourseEvent.CourseDefined;
import dev.cqrs.examples.courses.CourseEvent.CourseRenamed;
import dev.cqrs.examples.courses.CourseEvent.StudentSubscribed;
import dev.cqrs.examples.courses.CourseEvent.StudentUnsubscribed;
import dev.cqrs.examples.courses.CourseState.Defined;
import org.junit.jupiter.api.Test;

/** The course aggregate's own rules, with no store. */
class CourseTest {

    private final AggregateScenario<CourseState, CourseCommand, CourseEvent> course = AggregateScenario.of(new Course());

    @Test
    void aCourseIsDefinedOnceWithATitleAndAtLeastOneSeat() {
        course.when(new DefineCourse("c1", "  Algebra ", 30)).thenEvents(new CourseDefined("c1", "Algebra", 30))
                .thenState(new Defined("Algebra", 30, 0));
        course.given(new CourseDefined("c1", "Algebra", 30)).when(new DefineCourse("c1", "Algebra", 30))
                .thenRejected("ALREADY_DEFINED");
        course.when(new DefineCourse("c1", " ", 30)).thenRejected("VALIDATION");
        course.when(new DefineCourse("c1", "x".repeat(Course.MAX_TITLE + 1), 30)).thenRejected("VALIDATION");
        course.when(new DefineCourse("c1", "Algebra", 0)).thenRejected("VALIDATION");
    }

    @Test
    void renamingACourseChangesItsTitleOrNothing() {
        course.given(new CourseDefined("c1", "Algebra", 30)).when(new RenameCourse("c1", "Linear algebra"))
                .thenEvents(new CourseRenamed("c1", "Linear algebra"));
        course.given(new CourseDefined("c1", "Algebra", 30)).when(new RenameCourse("c1", "Algebra")).thenNothing();
        course.when(new RenameCourse("c1", "Algebra")).thenRejected("NOT_FOUND");
    }

    @Test
    void theCapacityNeverGoesBelowTheStudentsSubscribedNow() {
        var withTwo = course.given(new CourseDefined("c1", "Algebra", 30), new StudentSubscribed("s1", "c1"),
                new StudentSubscribed("s2", "c1"), new StudentSubscribed("s3", "c1"), new StudentUnsubscribed("s3", "c1"));
        withTwo.when(new ChangeCapacity("c1", 1)).thenRejected("CAPACITY_BELOW_SUBSCRIPTIONS");
        withTwo.when(new ChangeCapacity("c1", 2)).thenEvents(new CourseCapacityChanged("c1", 2))
                .thenState(new Defined("Algebra", 2, 2));
        withTwo.when(new ChangeCapacity("c1", 30)).thenNothing();
        withTwo.when(new ChangeCapacity("c1", 0)).thenRejected("VALIDATION");
        course.when(new ChangeCapacity("c1", 3)).thenRejected("NOT_FOUND");
    }
}
