package dev.cqrs.examples.courses;

import static dev.cqrs.examples.courses.CourseTags.course;
import static dev.cqrs.examples.courses.CourseTags.student;

import dev.cqrs.core.Event;
import dev.cqrs.core.Tag;
import java.util.Set;

/**
 * Everything that happens to a course, in the course's stream ({@code course/<id>}, topic
 * {@code events.course}, key the course id). The first three are the {@link Course} aggregate's; the
 * subscriptions are decided by {@link SubscribeStudent} and {@link UnsubscribeStudent} across courses and
 * students, and carry both tags so that either side's decisions find them.
 */
public sealed interface CourseEvent extends Event {

    String courseId();

    record CourseDefined(String courseId, String title, int capacity) implements CourseEvent {
        @Override
        public Set<Tag> eventTags() {
            return Set.of(course(courseId));
        }
    }

    record CourseRenamed(String courseId, String title) implements CourseEvent {
        @Override
        public Set<Tag> eventTags() {
            return Set.of(course(courseId));
        }
    }

    record CourseCapacityChanged(String courseId, int capacity) implements CourseEvent {
        @Override
        public Set<Tag> eventTags() {
            return Set.of(course(courseId));
        }
    }

    record StudentSubscribed(String studentId, String courseId) implements CourseEvent {
        @Override
        public Set<Tag> eventTags() {
            return Set.of(course(courseId), student(studentId));
        }
    }

    record StudentUnsubscribed(String studentId, String courseId) implements CourseEvent {
        @Override
        public Set<Tag> eventTags() {
            return Set.of(course(courseId), student(studentId));
        }
    }
}
