package dev.cqrs.postgres;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A statement written with named parameters ({@code :aggregate_type}), parsed once into the JDBC text
 * ({@code ?}) and the name of each position. A name used twice is bound once; a value set for a name the
 * statement lacks, or a name left without one, is a mistake and throws. PostgreSQL's casts
 * ({@code :payload::bytea}) are left alone.
 */
final class NamedSql {

    private static final Pattern PARAMETER = Pattern.compile("(?<!:):([a-z][a-z0-9_]*)");

    private final String sql;
    /** Per name, its slot in a {@link Values}. */
    private final Map<String, Integer> slots;
    /** Per JDBC position (from 0), the slot of its name. */
    private final int[] positions;

    private NamedSql(String sql, Map<String, Integer> slots, int[] positions) {
        this.sql = sql;
        this.slots = slots;
        this.positions = positions;
    }

    static NamedSql parse(String text) {
        Matcher m = PARAMETER.matcher(text);
        StringBuilder sql = new StringBuilder(text.length());
        Map<String, Integer> slots = new HashMap<>();
        List<Integer> positions = new ArrayList<>();
        while (m.find()) {
            Integer slot = slots.computeIfAbsent(m.group(1), name -> slots.size());
            positions.add(slot);
            m.appendReplacement(sql, "?");
        }
        m.appendTail(sql);
        return new NamedSql(sql.toString(), Map.copyOf(slots), positions.stream().mapToInt(Integer::intValue).toArray());
    }

    /** The text to prepare. */
    String sql() {
        return sql;
    }

    boolean has(String name) {
        return slots.containsKey(name);
    }

    /** Values for one execution. */
    Values values() {
        return new Values();
    }

    /** The values of one execution, by name; {@link #bind} sets them on a statement. */
    final class Values {
        private final Object[] values = new Object[slots.size()];
        private final boolean[] set = new boolean[slots.size()];

        /** The value of {@code name} (null for SQL NULL): a String, Long, UUID, byte[] or java.sql.Array. */
        Values set(String name, Object value) {
            Integer slot = slots.get(name);
            if (slot == null) {
                throw new IllegalArgumentException("the statement has no parameter :" + name);
            }
            values[slot] = value;
            set[slot] = true;
            return this;
        }

        /** Sets every position of {@code ps} from {@code first} on; returns the position after the last. */
        int bind(PreparedStatement ps, int first) throws SQLException {
            for (int i = 0; i < positions.length; i++) {
                int slot = positions[i];
                if (!set[slot]) {
                    throw new IllegalStateException("no value for a parameter of: " + sql);
                }
                ps.setObject(first + i, values[slot]);
            }
            return first + positions.length;
        }
    }
}
