package dev.cqrs.examples.courses;

/** A course as its aggregate sees it. */
public sealed interface CourseState {

    record Undefined() implements CourseState {
    }

    /** @param subscribers students subscribed now: their events are in the course's stream too */
    record Defined(String title, int capacity, int subscribers) implements CourseState {
    }
}
