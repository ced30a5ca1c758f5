package dev.cqrs.projector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cqrs.codec.avro.AvroEventCodec;
import dev.cqrs.codec.registry.SchemaRegistryClient;
import dev.cqrs.core.AppendResult;
import dev.cqrs.core.CommandMetadata;
import dev.cqrs.core.Event;
import dev.cqrs.core.EventStore;
import dev.cqrs.core.codec.CodecException;
import dev.cqrs.embedded.registry.LocalSchemaRegistry;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Schema evolution end to end, through the store, the relay and Avro in the registry's wire format, both ways.
 * Old events, new reader: events written under schema v1 and v2 of one event type both project with the v2
 * reader; an incompatible v3 is refused before anything is stored. New events, old reader (a rolling deployment
 * whose projector is not upgraded yet): an event in a newer shape is read in the old one, the added field
 * skipped; an event type the old code does not know is set aside as a dead letter and the projection goes on.
 */
class SchemaEvolutionTest {

    /** The first shape of a note. */
    sealed interface V1 extends Event {
        record Noted(String text) implements V1 {
        }
    }

    /** A field added, with a default (an Optional): compatible both ways. */
    sealed interface V2 extends Event {
        record Noted(String text, Optional<String> author) implements V2 {
        }
    }

    /** A required field added: readers of v3 cannot read v2 events, so BACKWARD compatibility refuses it. */
    sealed interface V3 extends Event {
        record Noted(String text, Optional<String> author, int priority) implements V3 {
        }
    }

    /** What a projector that was not upgraded knows of notes. */
    sealed interface Old extends Event {
        record Noted(String text) implements Old {
        }
    }

    /** What the upgraded writers know: a note with an author, and a new event type. */
    sealed interface New extends Event {
        record Noted(String text, Optional<String> author) implements New {
        }

        record Pinned(int rank) implements New {
        }
    }

    private final ProjectorTestSupport support = new ProjectorTestSupport("schema_evolution");

    @AfterEach
    void close() {
        support.close();
    }

    @Test
    void eventsWrittenUnderV1AndV2BothProjectAndAnIncompatibleV3IsRefusedBeforeAnythingIsStored() throws Exception {
        String namespace = "notes" + support.prefix;
        try (SchemaRegistryClient registry = SchemaRegistryClient.builder(LocalSchemaRegistry.sharedUrl()).build()) {
            AvroEventCodec<V1> v1 = AvroEventCodec.builder(V1.class, namespace, registry).build();
            AvroEventCodec<V2> v2 = AvroEventCodec.builder(V2.class, namespace, registry).build();
            AvroEventCodec<V3> v3 = AvroEventCodec.builder(V3.class, namespace, registry).build();
            EventStore<V1> oldWriter = support.store.events("note", v1);
            EventStore<V2> newWriter = support.store.events("note", v2);
            oldWriter.append("n1", List.of(new V1.Noted("written by v1")), Optional.empty(), CommandMetadata.create());
            newWriter.append("n2", List.of(new V2.Noted("written by v2", Optional.of("ada"))), Optional.empty(), CommandMetadata.create());

            EventStore<V3> incompatible = support.store.events("note", v3);
            assertThatThrownBy(() -> incompatible.append("n3", List.of(new V3.Noted("v3", Optional.empty(), 1)), Optional.empty(),
                    CommandMetadata.create()))
                    .isInstanceOf(CodecException.class)
                    .hasMessageContaining("Noted");
            assertThat(support.store.events("note", v2).currentVersion("n3")).isEmpty();

            String topic = support.prefix + ".events.note";
            PostgresProjection<V2> notes = PostgresProjection.builder("notes", topic, v2)
                    .schema("CREATE TABLE notes (id text PRIMARY KEY, text text NOT NULL, author text)")
                    .views("notes")
                    .on(V2.Noted.class, (e, sql) -> sql.execute("INSERT INTO notes (id, text, author) VALUES (?, ?, ?)"
                            + " ON CONFLICT (id) DO UPDATE SET text = excluded.text, author = excluded.author",
                            e.aggregateId(), e.event().text(), e.event().author().orElse(null)))
                    .build();
            try (Projector projector = Projector.builder(support.projectorConfig()).projection(notes).start()) {
                assertThat(projector.readYourWrites().awaitPosition("notes", support.headPosition(), Duration.ofSeconds(60))).isTrue();
                assertThat(rows()).isEqualTo(Map.of("n1", "written by v1/-", "n2", "written by v2/ada"));
                assertThat(projector.status("notes").deadLettered()).isZero();
            }
        }
    }

    /**
     * What must happen when new code writes and an old projection reads. A newer shape of a known type (a field
     * added, with a default) is read in the old shape, the field skipped: the row is written. A type the old
     * code does not know cannot be read: it must neither stop the projection nor vanish silently, so it is
     * set aside as a dead letter at the DECODE stage, naming the type, and the events after it are applied; a
     * wait for its position says DEAD_LETTERED, a wait for a later one REACHED.
     */
    @Test
    void anOldProjectionReadsANewerShapeAndSetsAsideAnEventTypeItDoesNotKnowThenGoesOn() throws Exception {
        String namespace = "notes" + support.prefix;
        try (SchemaRegistryClient registry = SchemaRegistryClient.builder(LocalSchemaRegistry.sharedUrl()).build()) {
            AvroEventCodec<Old> old = AvroEventCodec.builder(Old.class, namespace, registry).build();
            AvroEventCodec<New> upgraded = AvroEventCodec.builder(New.class, namespace, registry).build();
            EventStore<Old> oldWriter = support.store.events("note", old);
            EventStore<New> newWriter = support.store.events("note", upgraded);
            oldWriter.append("n1", List.of(new Old.Noted("written by old")), Optional.empty(), CommandMetadata.create());
            newWriter.append("n2", List.of(new New.Noted("written by new", Optional.of("ada"))), Optional.empty(),
                    CommandMetadata.create());
            AppendResult pinned = newWriter.append("n3", List.of(new New.Pinned(1)), Optional.empty(), CommandMetadata.create());
            AppendResult after = newWriter.append("n4", List.of(new New.Noted("after the unknown one", Optional.empty())),
                    Optional.empty(), CommandMetadata.create());

            String topic = support.prefix + ".events.note";
            PostgresProjection<Old> notes = PostgresProjection.builder("notes", topic, old)
                    .schema("CREATE TABLE notes (id text PRIMARY KEY, text text NOT NULL)")
                    .views("notes")
                    .on(Old.Noted.class, (e, sql) -> sql.execute("INSERT INTO notes (id, text) VALUES (?, ?)"
                            + " ON CONFLICT (id) DO UPDATE SET text = excluded.text", e.aggregateId(), e.event().text()))
                    .build();
            try (Projector projector = Projector.builder(support.projectorConfig()).projection(notes).start()) {
                ReadYourWrites waits = projector.readYourWrites();
                assertThat(waits.await("notes", after.lastPosition(), Duration.ofSeconds(60)))
                        .as("the event after the unknown one").isEqualTo(ReadYourWrites.Outcome.REACHED);
                assertThat(waits.await("notes", pinned.lastPosition(), Duration.ofSeconds(10)))
                        .as("the event of a type the old code does not know").isEqualTo(ReadYourWrites.Outcome.DEAD_LETTERED);
                assertThat(oldRows()).isEqualTo(Map.of("n1", "written by old", "n2", "written by new",
                        "n4", "after the unknown one"));
                assertThat(projector.deadLetters("notes")).singleElement().satisfies(letter -> {
                    assertThat(letter.stage()).isEqualTo("DECODE");
                    assertThat(letter.error()).contains("Pinned");
                    assertThat(letter.event()).hasValueSatisfying(e -> {
                        assertThat(e.globalPosition()).isEqualTo(pinned.lastPosition());
                        assertThat(e.eventType()).isEqualTo("Pinned");
                    });
                });
                assertThat(projector.status("notes").deadLettered()).isEqualTo(1);
            }
        }
    }

    private Map<String, String> oldRows() throws Exception {
        try (Connection c = support.db.dataSource().getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT id, text FROM read.notes")) {
            Map<String, String> rows = new TreeMap<>();
            while (rs.next()) {
                rows.put(rs.getString(1), rs.getString(2));
            }
            return rows;
        }
    }

    private Map<String, String> rows() throws Exception {
        try (Connection c = support.db.dataSource().getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT id, text, coalesce(author, '-') FROM read.notes")) {
            Map<String, String> rows = new TreeMap<>();
            while (rs.next()) {
                rows.put(rs.getString(1), rs.getString(2) + "/" + rs.getString(3));
            }
            return rows;
        }
    }
}
