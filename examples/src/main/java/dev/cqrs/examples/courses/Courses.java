package dev.cqrs.examples.courses;

import dev.cqrs.codec.json.JsonEventCodec;
import dev.cqrs.core.CommandMetadata;
import dev.cqrs.core.CommandResult;
import dev.cqrs.core.EntityStore;
import dev.cqrs.core.EventStore;
import dev.cqrs.core.codec.EventCodec;
import dev.cqrs.core.dcb.DcbEventStore;
import dev.cqrs.core.dcb.DecisionResult;
import dev.cqrs.core.dcb.Decisions;
import dev.cqrs.core.entity.CompositeEntityStore;
import dev.cqrs.core.memory.MemoryEventStore;
import dev.cqrs.examples.courses.CourseCommand.ChangeCapacity;
import dev.cqrs.examples.courses.CourseCommand.DefineCourse;
import dev.cqrs.examples.courses.CourseCommand.RenameCourse;
import dev.cqrs.examples.courses.SubscribeStudent.Subscribe;
import dev.cqrs.examples.courses.UnsubscribeStudent.Unsubscribe;
import dev.cqrs.postgres.PostgresEventStore;

/**
 * The course application's command side, one method per command: the course's own commands run on
 * the {@link Course} aggregate, subscriptions as DCB decisions, over the same streams.
 *
 * <pre>{@code
 * Courses courses = Courses.on(postgresEventStore);
 * courses.define("c1", "Algebra", 30, CommandMetadata.create());
 * switch (courses.subscribe("s7", "c1", CommandMetadata.create())) {
 *     case DecisionResult.Accepted<?, ?> a -> ...          // subscribed; a.lastPosition() for read-your-writes
 *     case DecisionResult.Rejected<?, ?> r -> ...          // COURSE_FULL, STUDENT_LIMIT, ALREADY_SUBSCRIBED, ...
 *     case DecisionResult.Conflict<?, ?> c -> ...          // others kept changing the same course or student
 * }
 * }</pre>
 */
public final class Courses {

    /** One codec for all: thread-safe. */
    public static final EventCodec<CourseEvent> CODEC = JsonEventCodec.of(CourseEvent.class);
    /** Conflicts retried before one is returned: a popular course sees many concurrent subscriptions. */
    public static final int RETRIES = 20;

    private final EntityStore<CourseState, CourseCommand, CourseEvent> courses;
    private final Decisions<SubscribeStudent.State, Subscribe, CourseEvent> subscribe;
    private final Decisions<Boolean, Unsubscribe, CourseEvent> unsubscribe;

    private Courses(EventStore<CourseEvent> streams, DcbEventStore<CourseEvent> dcb) {
        this.courses = CompositeEntityStore.builder(new Course(), streams).retryOnConflict(RETRIES).build();
        this.subscribe = Decisions.of(new SubscribeStudent(), dcb).retryOnConflict(RETRIES);
        this.unsubscribe = Decisions.of(new UnsubscribeStudent(), dcb).retryOnConflict(RETRIES);
    }

    /** The application on a PostgreSQL store, events as JSON. */
    public static Courses on(PostgresEventStore store) {
        return new Courses(store.events(Course.TYPE, CODEC), store.dcb(Course.TYPE, CODEC));
    }

    /** The application on any store that is both (the memory store is). */
    public static <S extends EventStore<CourseEvent> & DcbEventStore<CourseEvent>> Courses on(S store) {
        return new Courses(store, store);
    }

    /** The application in memory, for tests and trying it out. */
    public static Courses inMemory() {
        return on(MemoryEventStore.<CourseEvent>create(Course.TYPE));
    }

    /** Built from a separate stream store and DCB store over the same streams. */
    public static Courses on(EventStore<CourseEvent> streams, DcbEventStore<CourseEvent> dcb) {
        return new Courses(streams, dcb);
    }

    public CommandResult<CourseState, CourseEvent> define(String courseId, String title, int capacity, CommandMetadata metadata) {
        return courses.execute(courseId, new DefineCourse(courseId, title, capacity), metadata);
    }

    public CommandResult<CourseState, CourseEvent> rename(String courseId, String title, CommandMetadata metadata) {
        return courses.execute(courseId, new RenameCourse(courseId, title), metadata);
    }

    public CommandResult<CourseState, CourseEvent> changeCapacity(String courseId, int capacity, CommandMetadata metadata) {
        return courses.execute(courseId, new ChangeCapacity(courseId, capacity), metadata);
    }

    public DecisionResult<SubscribeStudent.State, CourseEvent> subscribe(String studentId, String courseId,
                                                                         CommandMetadata metadata) {
        return subscribe.execute(new Subscribe(studentId, courseId), metadata);
    }

    public DecisionResult<Boolean, CourseEvent> unsubscribe(String studentId, String courseId, CommandMetadata metadata) {
        return unsubscribe.execute(new Unsubscribe(studentId, courseId), metadata);
    }
}
