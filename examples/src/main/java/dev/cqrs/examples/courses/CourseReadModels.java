package dev.cqrs.examples.courses;

import dev.cqrs.examples.courses.CourseEvent.CourseCapacityChanged;
import dev.cqrs.examples.courses.CourseEvent.CourseDefined;
import dev.cqrs.examples.courses.CourseEvent.CourseRenamed;
import dev.cqrs.examples.courses.CourseEvent.StudentSubscribed;
import dev.cqrs.examples.courses.CourseEvent.StudentUnsubscribed;
import dev.cqrs.projector.PostgresProjection;

/**
 * The course application's read models, fed from the topic the relay publishes the course streams to.
 * {@link #courseList} is keyed by stream (a course per row); {@link #timetables} selects the events
 * tagged with a student and keys its rows by that tag, although the events belong to the courses' streams.
 */
public final class CourseReadModels {

    private CourseReadModels() {
    }

    /** Every course: its title, capacity and how many students it has. */
    public static PostgresProjection<CourseEvent> courseList(String topic) {
        return PostgresProjection.builder("course_list", topic, Courses.CODEC)
                .schema("CREATE TABLE course_list (course_id text PRIMARY KEY, title text NOT NULL, capacity int NOT NULL,"
                        + " students int NOT NULL DEFAULT 0, position bigint NOT NULL)")
                .views("course_list")
                .on(CourseDefined.class, (e, sql) -> sql.execute("INSERT INTO course_list (course_id, title, capacity, position)"
                                + " VALUES (?, ?, ?, ?) ON CONFLICT (course_id) DO NOTHING",
                        e.aggregateId(), e.event().title(), e.event().capacity(), e.globalPosition()))
                .on(CourseRenamed.class, (e, sql) -> sql.execute("UPDATE course_list SET title = ?, position = ?"
                        + " WHERE course_id = ? AND position < ?", e.event().title(), e.globalPosition(), e.aggregateId(), e.globalPosition()))
                .on(CourseCapacityChanged.class, (e, sql) -> sql.execute("UPDATE course_list SET capacity = ?, position = ?"
                        + " WHERE course_id = ? AND position < ?", e.event().capacity(), e.globalPosition(), e.aggregateId(), e.globalPosition()))
                .on(StudentSubscribed.class, (e, sql) -> sql.execute("UPDATE course_list SET students = students + 1,"
                        + " position = ? WHERE course_id = ? AND position < ?", e.globalPosition(), e.aggregateId(), e.globalPosition()))
                .on(StudentUnsubscribed.class, (e, sql) -> sql.execute("UPDATE course_list SET students = students - 1,"
                        + " position = ? WHERE course_id = ? AND position < ?", e.globalPosition(), e.aggregateId(), e.globalPosition()))
                .build();
    }

    /** Each student's courses: the events tagged {@code student:<id>}, one row per student and course. */
    public static PostgresProjection<CourseEvent> timetables(String topic) {
        return PostgresProjection.builder("timetables", topic, Courses.CODEC)
                .schema("CREATE TABLE student_courses (student_id text NOT NULL, course_id text NOT NULL,"
                        + " position bigint NOT NULL, PRIMARY KEY (student_id, course_id))")
                .views("student_courses")
                .selectTagged("student")
                .on(StudentSubscribed.class, (e, sql) -> sql.execute("INSERT INTO student_courses (student_id, course_id,"
                                + " position) VALUES (?, ?, ?) ON CONFLICT (student_id, course_id) DO UPDATE SET position = excluded.position"
                                + " WHERE student_courses.position < excluded.position",
                        e.tagValue("student").orElseThrow(), e.tagValue("course").orElseThrow(), e.globalPosition()))
                .on(StudentUnsubscribed.class, (e, sql) -> sql.execute("DELETE FROM student_courses WHERE student_id = ?"
                                + " AND course_id = ? AND position < ?",
                        e.tagValue("student").orElseThrow(), e.tagValue("course").orElseThrow(), e.globalPosition()))
                .build();
    }
}
