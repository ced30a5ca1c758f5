package dev.cqrs.examples.courses;

import dev.cqrs.core.Aggregate;
import dev.cqrs.core.Decision;
import dev.cqrs.examples.courses.CourseCommand.ChangeCapacity;
import dev.cqrs.examples.courses.CourseCommand.DefineCourse;
import dev.cqrs.examples.courses.CourseCommand.RenameCourse;
import dev.cqrs.examples.courses.CourseEvent.CourseCapacityChanged;
import dev.cqrs.examples.courses.CourseEvent.CourseDefined;
import dev.cqrs.examples.courses.CourseEvent.CourseRenamed;
import dev.cqrs.examples.courses.CourseEvent.StudentSubscribed;
import dev.cqrs.examples.courses.CourseEvent.StudentUnsubscribed;
import dev.cqrs.examples.courses.CourseState.Defined;
import dev.cqrs.examples.courses.CourseState.Undefined;

/**
 * A course as an aggregate: its rules are about one course only (a title, a capacity of at least one
 * and never below the students subscribed now), so one stream is its consistency boundary. Its events
 * are tagged {@code course:<id>} so that subscription decisions find them; the subscriptions, decided
 * elsewhere, are appended to the same stream, so a capacity change and a concurrent subscription
 * conflict on the stream's version and the capacity rule holds.
 */
public final class Course implements Aggregate<CourseState, CourseCommand, CourseEvent> {

    /** The aggregate type: stream {@code course/<id>}, topic {@code events.course}. */
    public static final String TYPE = "course";
    /** The longest title accepted. */
    public static final int MAX_TITLE = 200;

    @Override
    public String aggregateType() {
        return TYPE;
    }

    @Override
    public CourseState initialState() {
        return new Undefined();
    }

    @Override
    public Decision<CourseEvent> decide(CourseState state, CourseCommand command) {
        return switch (command) {
            case DefineCourse d when state instanceof Defined -> Decision.reject("ALREADY_DEFINED",
                    "course " + d.courseId() + " is defined already");
            case DefineCourse d when invalidTitle(d.title()) -> titleRejected();
            case DefineCourse d when d.capacity() < 1 -> Decision.reject("VALIDATION", "a course has at least one seat");
            case DefineCourse d -> Decision.accept(new CourseDefined(d.courseId(), d.title().strip(), d.capacity()));
            case RenameCourse r when !(state instanceof Defined) -> notFound(r.courseId());
            case RenameCourse r when invalidTitle(r.title()) -> titleRejected();
            case RenameCourse r when ((Defined) state).title().equals(r.title().strip()) -> Decision.nothing();
            case RenameCourse r -> Decision.accept(new CourseRenamed(r.courseId(), r.title().strip()));
            case ChangeCapacity c when !(state instanceof Defined) -> notFound(c.courseId());
            case ChangeCapacity c when c.capacity() < 1 -> Decision.reject("VALIDATION", "a course has at least one seat");
            case ChangeCapacity c when ((Defined) state).capacity() == c.capacity() -> Decision.nothing();
            case ChangeCapacity c when ((Defined) state).subscribers() > c.capacity() -> Decision.reject(
                    "CAPACITY_BELOW_SUBSCRIPTIONS", "course " + c.courseId() + " has " + ((Defined) state).subscribers()
                            + " students subscribed, more than " + c.capacity());
            case ChangeCapacity c -> Decision.accept(new CourseCapacityChanged(c.courseId(), c.capacity()));
        };
    }

    @Override
    public CourseState apply(CourseState state, CourseEvent event) {
        return switch (event) {
            case CourseDefined d -> new Defined(d.title(), d.capacity(), 0);
            case CourseRenamed r when state instanceof Defined s -> new Defined(r.title(), s.capacity(), s.subscribers());
            case CourseCapacityChanged c when state instanceof Defined s -> new Defined(s.title(), c.capacity(), s.subscribers());
            case StudentSubscribed x when state instanceof Defined s -> new Defined(s.title(), s.capacity(), s.subscribers() + 1);
            case StudentUnsubscribed x when state instanceof Defined s -> new Defined(s.title(), s.capacity(), s.subscribers() - 1);
            default -> state; // every event after a course's definition finds it defined
        };
    }

    private static boolean invalidTitle(String title) {
        return title == null || title.isBlank() || title.strip().length() > MAX_TITLE;
    }

    private static Decision<CourseEvent> titleRejected() {
        return Decision.reject("VALIDATION", "a course's title is 1 to " + MAX_TITLE + " characters");
    }

    private static Decision<CourseEvent> notFound(String courseId) {
        return Decision.reject("NOT_FOUND", "there is no course " + courseId);
    }
}
