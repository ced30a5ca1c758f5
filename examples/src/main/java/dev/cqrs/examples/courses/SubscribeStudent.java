package dev.cqrs.examples.courses;

import static dev.cqrs.examples.courses.CourseTags.course;
import static dev.cqrs.examples.courses.CourseTags.student;

import dev.cqrs.core.Decision;
import dev.cqrs.core.dcb.Decider;
import dev.cqrs.core.dcb.Query;
import dev.cqrs.core.dcb.QueryItem;
import dev.cqrs.examples.courses.CourseEvent.CourseCapacityChanged;
import dev.cqrs.examples.courses.CourseEvent.CourseDefined;
import dev.cqrs.examples.courses.CourseEvent.StudentSubscribed;
import dev.cqrs.examples.courses.CourseEvent.StudentUnsubscribed;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;

/**
 * A student subscribes to a course: a rule over two boundaries at once. The course takes at most its
 * capacity of students; the student takes at most {@value #MAX_COURSES} courses. Neither the course's
 * stream nor any student's holds both facts, so no aggregate can decide it alone; the decision reads
 * the course's definition, capacity and subscriptions, and the student's subscriptions, wherever they
 * are, and its append fails if any of those changed since.
 */
public final class SubscribeStudent implements Decider<SubscribeStudent.State, SubscribeStudent.Subscribe, CourseEvent> {

    /** The most courses a student takes at once. */
    public static final int MAX_COURSES = 5;

    public record Subscribe(String studentId, String courseId) {
        public Subscribe {
            Objects.requireNonNull(studentId, "studentId");
            Objects.requireNonNull(courseId, "courseId");
        }
    }

    /**
     * What the decision knows.
     *
     * @param courseStudents the students subscribed to the course now
     * @param studentCourses the courses the student is subscribed to now
     */
    public record State(String studentId, String courseId, boolean courseExists, int capacity,
                        Set<String> courseStudents, Set<String> studentCourses) {
        public State {
            courseStudents = Set.copyOf(courseStudents);
            studentCourses = Set.copyOf(studentCourses);
        }
    }

    @Override
    public Query query(Subscribe command) {
        return Query.of(
                QueryItem.ofTypes(CourseDefined.class, CourseCapacityChanged.class, StudentSubscribed.class,
                        StudentUnsubscribed.class).withTags(course(command.courseId())),
                QueryItem.ofTypes(StudentSubscribed.class, StudentUnsubscribed.class).withTags(student(command.studentId())));
    }

    @Override
    public String streamOf(Subscribe command) {
        return command.courseId(); // the course's stream: its consumers see its subscriptions in order
    }

    @Override
    public State initialState(Subscribe command) {
        return new State(command.studentId(), command.courseId(), false, 0, Set.of(), Set.of());
    }

    @Override
    public State evolve(State state, CourseEvent event) {
        return switch (event) {
            case CourseDefined d -> new State(state.studentId(), state.courseId(), true, d.capacity(),
                    state.courseStudents(), state.studentCourses());
            case CourseCapacityChanged c -> new State(state.studentId(), state.courseId(), state.courseExists(),
                    c.capacity(), state.courseStudents(), state.studentCourses());
            case StudentSubscribed s -> changed(state, s.studentId(), s.courseId(), true);
            case StudentUnsubscribed u -> changed(state, u.studentId(), u.courseId(), false);
            default -> state;
        };
    }

    private static State changed(State state, String studentId, String courseId, boolean subscribed) {
        Set<String> courseStudents = new HashSet<>(state.courseStudents());
        Set<String> studentCourses = new HashSet<>(state.studentCourses());
        if (courseId.equals(state.courseId())) {
            if (subscribed) {
                courseStudents.add(studentId);
            } else {
                courseStudents.remove(studentId);
            }
        }
        if (studentId.equals(state.studentId())) {
            if (subscribed) {
                studentCourses.add(courseId);
            } else {
                studentCourses.remove(courseId);
            }
        }
        return new State(state.studentId(), state.courseId(), state.courseExists(), state.capacity(), courseStudents,
                studentCourses);
    }

    @Override
    public Decision<CourseEvent> decide(State state, Subscribe command) {
        if (!state.courseExists()) {
            return Decision.reject("COURSE_NOT_FOUND", "there is no course " + command.courseId());
        }
        if (state.studentCourses().contains(command.courseId())) {
            return Decision.reject("ALREADY_SUBSCRIBED", "student " + command.studentId() + " is subscribed to "
                    + command.courseId() + " already");
        }
        if (state.courseStudents().size() >= state.capacity()) {
            return Decision.reject("COURSE_FULL", "course " + command.courseId() + " has all its " + state.capacity()
                    + " seats taken");
        }
        if (state.studentCourses().size() >= MAX_COURSES) {
            return Decision.reject("STUDENT_LIMIT", "student " + command.studentId() + " takes " + MAX_COURSES
                    + " courses already");
        }
        return Decision.accept(new StudentSubscribed(command.studentId(), command.courseId()));
    }
}
