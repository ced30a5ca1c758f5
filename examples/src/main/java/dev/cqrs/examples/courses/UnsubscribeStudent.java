package dev.cqrs.examples.courses;

import static dev.cqrs.examples.courses.CourseTags.course;
import static dev.cqrs.examples.courses.CourseTags.student;

import dev.cqrs.core.Decision;
import dev.cqrs.core.dcb.Decider;
import dev.cqrs.core.dcb.Query;
import dev.cqrs.core.dcb.QueryItem;
import dev.cqrs.examples.courses.CourseEvent.StudentSubscribed;
import dev.cqrs.examples.courses.CourseEvent.StudentUnsubscribed;
import java.util.Objects;

/**
 * A student leaves a course. The decision needs only this student's subscriptions to this course: the
 * events tagged with both. (A concurrent subscription to the course sees the seat freed, since its own
 * query covers the course's unsubscriptions.)
 */
public final class UnsubscribeStudent implements Decider<Boolean, UnsubscribeStudent.Unsubscribe, CourseEvent> {

    public record Unsubscribe(String studentId, String courseId) {
        public Unsubscribe {
            Objects.requireNonNull(studentId, "studentId");
            Objects.requireNonNull(courseId, "courseId");
        }
    }

    @Override
    public Query query(Unsubscribe command) {
        return Query.of(QueryItem.ofTypes(StudentSubscribed.class, StudentUnsubscribed.class)
                .withTags(course(command.courseId()), student(command.studentId())));
    }

    @Override
    public String streamOf(Unsubscribe command) {
        return command.courseId();
    }

    /** Whether the student is subscribed: not yet. */
    @Override
    public Boolean initialState(Unsubscribe command) {
        return false;
    }

    @Override
    public Boolean evolve(Boolean subscribed, CourseEvent event) {
        return switch (event) {
            case StudentSubscribed s -> true;
            case StudentUnsubscribed u -> false;
            default -> subscribed;
        };
    }

    @Override
    public Decision<CourseEvent> decide(Boolean subscribed, Unsubscribe command) {
        if (!subscribed) {
            return Decision.reject("NOT_SUBSCRIBED", "student " + command.studentId() + " is not subscribed to "
                    + command.courseId());
        }
        return Decision.accept(new StudentUnsubscribed(command.studentId(), command.courseId()));
    }
}
