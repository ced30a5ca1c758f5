package dev.cqrs.examples.courses;

import dev.cqrs.core.Tag;

/** The tags of the course domain: what its events are about. */
public final class CourseTags {

    private CourseTags() {
    }

    /** {@code course:<id>}: every event about a course carries it. */
    public static Tag course(String courseId) {
        return Tag.of("course", courseId);
    }

    /** {@code student:<id>}: a subscription carries its student's tag beside its course's. */
    public static Tag student(String studentId) {
        return Tag.of("student", studentId);
    }
}
