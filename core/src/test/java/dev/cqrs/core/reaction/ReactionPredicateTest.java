package dev.cqrs.core.reaction;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cqrs.core.CommandMetadata;
import dev.cqrs.core.EventMetadata;
import dev.cqrs.core.EventNumber;
import dev.cqrs.core.RecordedEvent;
import dev.cqrs.core.StreamId;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class ReactionPredicateTest {

    @Test
    void emptySetsMatchEverything() {
        assertThat(ReactionPredicate.all().test("todo", "Created")).isTrue();
    }

    @Test
    void filtersByAggregateTypeAndEventType() {
        ReactionPredicate completions = ReactionPredicate.aggregate("todo").withEventTypes("Completed", "Uncompleted");
        assertThat(completions.test("todo", "Completed")).isTrue();
        assertThat(completions.test("todo", "Created")).isFalse();
        assertThat(completions.test("user", "Completed")).isFalse();
    }

    @Test
    void theIdempotencyKeyOfAReactionIsStablePerEventAndReaction() {
        UUID eventId = UUID.randomUUID();
        EventMetadata metadata = EventMetadata.of(eventId, CommandMetadata.create(), Instant.now());
        RecordedEvent<String> event = new RecordedEvent<>(7, StreamId.of("todo", "a"), EventNumber.FIRST, "e", metadata);
        RecordedEvent<String> redelivered = new RecordedEvent<>(7, StreamId.of("todo", "a"), EventNumber.FIRST, "e", metadata);
        assertThat(event.idempotencyKey("notify")).isEqualTo(redelivered.idempotencyKey("notify"))
                .isNotEqualTo(event.idempotencyKey("archive"))
                .contains(eventId.toString());
    }

    @Test
    void aCommandCausedByAnEventCarriesItsKeyItsCauseAndItsCorrelation() {
        UUID eventId = UUID.randomUUID();
        UUID correlation = UUID.randomUUID();
        EventMetadata metadata = EventMetadata.of(eventId, CommandMetadata.create().withCorrelationId(correlation), Instant.now());
        RecordedEvent<String> event = new RecordedEvent<>(7, StreamId.of("todo", "a"), EventNumber.FIRST, "e", metadata);
        CommandMetadata caused = event.causedCommand("notify");
        assertThat(caused.idempotencyKey()).contains(event.idempotencyKey("notify"));
        assertThat(caused.causationId()).contains(eventId);
        assertThat(caused.correlationId()).isEqualTo(correlation);
        assertThat(event.causedCommand("archive").idempotencyKey()).isNotEqualTo(caused.idempotencyKey());
    }
}
