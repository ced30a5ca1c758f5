package dev.cqrs.examples.courses;

/** What the {@link Course} aggregate decides on: a course's own facts. */
public sealed interface CourseCommand {

    String courseId();

    record DefineCourse(String courseId, String title, int capacity) implements CourseCommand {
    }

    record RenameCourse(String courseId, String title) implements CourseCommand {
    }

    record ChangeCapacity(String courseId, int capacity) implements CourseCommand {
    }
}
