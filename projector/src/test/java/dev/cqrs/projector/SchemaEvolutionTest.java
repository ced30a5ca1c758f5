package dev.cqrs.projector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cqrs.codec.avro.AvroEventCodec;
import dev.cqrs.codec.registry.SchemaRegistryClient;
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
 * Events written under schema v1 and v2 of one event type, through the store, the relay and Avro in the
 * registry's wire format, both project with the v2 reader; an incompatible v3 is refused before anything
 * is stored.
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
