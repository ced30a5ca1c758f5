package dev.cqrs.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class EventHandlersTest {

    sealed interface Event permits Opened, Closed, Naming {
    }

    /** A family of events inside {@code Event}. */
    sealed interface Naming extends Event permits Renamed {
    }

    record Opened(String by) implements Event {
    }

    record Closed() implements Event {
    }

    record Renamed(String to) implements Naming {
    }

    @Test
    void anEventFindsTheHandlerOfItsOwnClassFirst() {
        EventHandlers<Event, String> handlers = EventHandlers.<Event, String>builder("test")
                .on(Event.class, "any event")
                .on(Opened.class, "opened")
                .build();
        assertThat(handlers.find(Opened.class)).contains("opened");
        assertThat(handlers.find(Closed.class)).as("no handler of its own: the sealed interface's").contains("any event");
    }

    @Test
    void theNearestInterfaceWins() {
        EventHandlers<Event, String> handlers = EventHandlers.<Event, String>builder("test")
                .on(Event.class, "event")
                .on(Naming.class, "naming")
                .build();
        assertThat(handlers.find(Renamed.class)).as("Naming is nearer to Renamed than Event").contains("naming");
        assertThat(handlers.find(Opened.class)).contains("event");
        EventHandlers<Event, String> onlyRenamed = EventHandlers.<Event, String>builder("test").on(Renamed.class, "renamed").build();
        assertThat(onlyRenamed.find(Renamed.class)).contains("renamed");
        assertThat(onlyRenamed.find(Opened.class)).isEmpty();
    }

    @Test
    void aTypeWithoutAHandlerHasNone() {
        EventHandlers<Event, String> handlers = EventHandlers.<Event, String>builder("test").on(Opened.class, "opened").build();
        assertThat(handlers.find(Closed.class)).isEmpty();
        assertThat(handlers.find(Closed.class)).as("the remembered answer is the same").isEmpty();
        assertThat(handlers.types()).containsExactly(Opened.class);
    }

    @Test
    void aSecondHandlerForOneTypeIsRefusedNamingTheConsumer() {
        EventHandlers.Builder<Event, String> builder = EventHandlers.<Event, String>builder("projection todo_list").on(Opened.class, "one");
        assertThatThrownBy(() -> builder.on(Opened.class, "two"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("projection todo_list: Opened has a handler already");
        assertThat(builder.build().find(Opened.class)).as("the first stays").contains("one");
    }

    @Test
    void nullsAreRefused() {
        EventHandlers.Builder<Event, String> builder = EventHandlers.builder("test");
        assertThatThrownBy(() -> builder.on(Opened.class, null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> builder.on(null, "x")).isInstanceOf(NullPointerException.class);
    }
}
