package dev.cqrs.reliability.audit;

import dev.cqrs.audit.ReadModelAudit;
import dev.cqrs.audit.ReadModelSnapshot;
import dev.cqrs.core.RawEvent;
import dev.cqrs.core.codec.EncodedEvent;
import dev.cqrs.core.codec.EventCodec;
import dev.cqrs.todo.domain.TodoAggregate;
import dev.cqrs.todo.domain.TodoEvent;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;
import org.apache.kafka.common.TopicPartition;

/**
 * Checks the to-do list read model (the view {@code <read schema>.todos}) against the fold of the to-do
 * events in the store: every to-do's description, reminder, completion, version and the position of its
 * latest event. While folding it also counts the events that change nothing ({@link #eventsThatChangeNothing()}):
 * the domain never decides one, so each was decided on a state the to-do no longer had (a command that ran
 * on a cached or lost version of it).
 */
public final class TodoListAudit implements ReadModelAudit {

    /** A to-do as the fold of its events leaves it. */
    private static final class Row {
        String description = "";
        Optional<Instant> reminder = Optional.empty();
        boolean completed;
        long version;
        long position;

        String render() {
            return TodoListAudit.render(description, reminder, completed, version, position);
        }
    }

    private final EventCodec<TodoEvent> codec;
    private final DataSource readModel;
    private final String view;
    private final Map<String, Row> rows = new HashMap<>();
    private final List<String> changeNothing = new ArrayList<>();

    /** @param view the read model's view, e.g. {@code read.todos} */
    public TodoListAudit(EventCodec<TodoEvent> codec, DataSource readModel, String view) {
        this.codec = codec;
        this.readModel = readModel;
        this.view = view;
    }

    static String render(String description, Optional<Instant> reminder, boolean completed, long version, long position) {
        return "description=" + description + " | reminder=" + reminder.map(Instant::toString).orElse("-")
                + " | completed=" + completed + " | version=" + version + " | position=" + position;
    }

    @Override
    public String name() {
        return view;
    }

    @Override
    public void accept(RawEvent event) {
        if (!event.stream().aggregateType().equals(TodoAggregate.TYPE)) {
            return;
        }
        TodoEvent decoded = codec.decode(new EncodedEvent(event.eventType(), event.contentType(), event.payload()));
        boolean created = !rows.containsKey(event.stream().aggregateId());
        Row row = rows.computeIfAbsent(event.stream().aggregateId(), id -> new Row());
        boolean changes = switch (decoded) {
            case TodoEvent.Created c -> created;
            case TodoEvent.DescriptionUpdated updated -> !updated.description().equals(row.description);
            case TodoEvent.ReminderUpdated updated -> !updated.reminder().equals(row.reminder);
            case TodoEvent.Completed completed -> !row.completed;
            case TodoEvent.Uncompleted uncompleted -> row.completed;
        };
        if (!changes) {
            changeNothing.add(event.stream() + "#" + event.sequence().value() + " " + event.eventType() + " at position "
                    + event.globalPosition());
        }
        switch (decoded) {
            case TodoEvent.Created c -> row.description = c.description();
            case TodoEvent.DescriptionUpdated updated -> row.description = updated.description();
            case TodoEvent.ReminderUpdated updated -> row.reminder = updated.reminder();
            case TodoEvent.Completed completed -> row.completed = true;
            case TodoEvent.Uncompleted uncompleted -> row.completed = false;
        }
        row.version = event.sequence().value();
        row.position = event.globalPosition();
    }

    /** The events folded so far that left their to-do as it was ({@code todo/<id>#<sequence> <type> at position <p>}). */
    public List<String> eventsThatChangeNothing() {
        return List.copyOf(changeNothing);
    }

    @Override
    public Map<String, String> expectedRows() {
        Map<String, String> expected = new HashMap<>(rows.size() * 2);
        rows.forEach((id, row) -> expected.put(id, row.render()));
        return expected;
    }

    /**
     * The view's rows and the positions of the generation behind it, in one repeatable-read transaction: the
     * projector writes a batch's rows and its positions in one transaction, so the two agree. Reading the view
     * first locks it, so a rebuild's switch cannot repoint it before the positions are read.
     */
    @Override
    public ReadModelSnapshot read() {
        Map<String, String> actual = new HashMap<>(rows.size() * 2);
        try (Connection c = readModel.getConnection()) {
            c.setAutoCommit(false);
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            c.setReadOnly(true);
            try (Statement s = c.createStatement()) {
                s.setFetchSize(10_000);
                try (ResultSet rs = s.executeQuery("SELECT id, description, reminder, completed, version, position FROM " + view)) {
                    while (rs.next()) {
                        Timestamp reminder = rs.getTimestamp(3);
                        actual.put(rs.getString(1), render(rs.getString(2), Optional.ofNullable(reminder).map(Timestamp::toInstant),
                                rs.getBoolean(4), rs.getLong(5), rs.getLong(6)));
                    }
                }
            }
            Optional<Map<TopicPartition, Long>> applied = appliedBehindTheView(c);
            c.commit();
            return new ReadModelSnapshot(actual, applied);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the read model " + view + ": " + e.getMessage(), e);
        }
    }

    /** The positions table of the schema the view reads from, if it has one (a projector's generation does). */
    private Optional<Map<TopicPartition, Long>> appliedBehindTheView(Connection c) throws SQLException {
        String schema = null;
        try (PreparedStatement ps = c.prepareStatement("SELECT DISTINCT n.nspname FROM pg_rewrite r"
                + " JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid"
                + " JOIN pg_class t ON t.oid = d.refobjid AND t.oid <> r.ev_class JOIN pg_namespace n ON n.oid = t.relnamespace"
                + " WHERE r.ev_class = ?::regclass")) {
            ps.setString(1, view);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    schema = rs.getString(1);
                }
            }
        }
        if (schema == null) {
            return Optional.empty();
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
            ps.setString(1, schema + ".cqrs_positions");
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    return Optional.empty();
                }
            }
        }
        Map<TopicPartition, Long> applied = new HashMap<>();
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT topic, partition, position FROM " + schema + ".cqrs_positions")) {
            while (rs.next()) {
                applied.put(new TopicPartition(rs.getString(1), rs.getInt(2)), rs.getLong(3));
            }
        }
        return Optional.of(applied);
    }
}
