package dev.cqrs.postgres;

import dev.cqrs.core.Tag;
import dev.cqrs.core.codec.EncodedEvent;
import dev.cqrs.core.dcb.Query;
import dev.cqrs.core.dcb.QueryItem;
import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import java.util.TreeMap;

/**
 * The transaction-scoped advisory locks that make reads by query and append conditions exact under
 * concurrency.
 *
 * <p>Positions are {@code (transaction id << 16) + index}, and a transaction id is taken at a
 * transaction's first write. A query only sees what committed before it started, so two things could
 * go wrong: a read could miss a matching event whose transaction is still running but whose position
 * is below events the read does see; and a condition's check could miss an append that commits just
 * after it, yet lands before the conditional append in the log. Both are prevented by serialising on
 * keys:
 *
 * <ul>
 *   <li>every append of a tagged event takes, before its first write, a <em>shared</em> lock on a key per
 *       (aggregate type, event type, tag) and per (aggregate type, any type, tag) of each of its events,
 *       held until it ends;</li>
 *   <li>a read by query and a conditional append take, before their read or check, an <em>exclusive</em>
 *       lock on the key of each query item: (type, one of the item's tags) for each of its types, or (any
 *       type, one of its tags) when it names no type.</li>
 * </ul>
 *
 * An event that matches an item carries that tag and has one of those types, so it takes one of the
 * item's keys. Hence a read, once it holds its locks, waits for no writer of a matching event, and none
 * is running: every matching event of a transaction that took its id before the read's snapshot is
 * committed and visible to it, and any later one takes a larger position. The read therefore covers
 * every position below its snapshot's {@code xmax}, whatever else runs meanwhile (a read bounded by the
 * global log's {@link GlobalLog#visibleBound bound}, which any append still running holds back, would miss
 * committed events above it, and a decision would then conflict even with its own previous event). A conditional append's check, likewise, sees every
 * matching event committed before it, and a matching writer that waited on its lock gets a later
 * position. Writers do not block writers; untagged appends take no lock at all.
 *
 * <p>An item without tags (types only) or {@code Query.all()} can be matched by untagged events,
 * which lock nothing: for such a query a read takes the events table in SHARE mode and a conditional
 * append in SHARE ROW EXCLUSIVE mode (after their advisory locks), which waits for every append in
 * progress and holds off new ones meanwhile. Correct, and costly: prefer tags.
 *
 * <p>The rule every appender keeps: take these locks before the transaction's first write (the
 * {@link Appender} statement is the first write of its transaction anyway).
 *
 * <p>No deadlocks: every transaction takes its advisory locks in one statement, in ascending key
 * order, each key once in the strongest mode it needs, before any write; the table lock comes after
 * them. They travel as a {@link Prelude} of the statement that needs them, in the same round trip. Keys are 32-bit hashes in the two-key advisory lock space (classid: the store's schema),
 * which neither the relay's leader lock (a one-key lock) nor another schema's store shares. A hash
 * collision only makes two unrelated appends wait for each other. The hash is part of the stored
 * format: every process that appends to a store must compute the same keys.
 */
final class ConsistencyLocks {

    private final int classId;

    ConsistencyLocks(String schema) {
        this.classId = hash("cqrs-dcb-locks:" + schema);
    }

    /** How a transaction locks the events table, when a query can match untagged events. */
    enum TableLock {
        NONE(null),
        /** A read: waits for appends in progress, lets other reads through. */
        FOR_READ("SHARE"),
        /** A conditional append: waits for appends and reads in progress, and for other such appends. */
        FOR_CONDITION("SHARE ROW EXCLUSIVE");

        final String mode;

        TableLock(String mode) {
            this.mode = mode;
        }
    }

    /** The locks of one read or append: key to exclusive (true) or shared (false), in ascending key order. */
    static final class Needed {
        final TreeMap<Integer, Boolean> keys = new TreeMap<>();
        TableLock table = TableLock.NONE;

        boolean isEmpty() {
            return keys.isEmpty() && table == TableLock.NONE;
        }

        void add(int key, boolean exclusive) {
            keys.merge(key, exclusive, Boolean::logicalOr);
        }
    }

    /** Adds the shared locks that appending {@code events} to a stream of {@code aggregateType} takes. */
    void addWriterLocks(Needed needed, String aggregateType, List<EncodedEvent> events) {
        for (EncodedEvent event : events) {
            for (Tag tag : event.tags()) {
                needed.add(key(aggregateType, event.eventType(), tag), false);
                needed.add(key(aggregateType, null, tag), false);
            }
        }
    }

    /** Adds the exclusive locks (or the table lock) that a read of {@code query} takes. */
    void addReadLocks(Needed needed, String aggregateType, Query query) {
        addQueryLocks(needed, aggregateType, query, TableLock.FOR_READ);
    }

    /** Adds the exclusive locks (or the table lock) that a condition on {@code query} takes. */
    void addConditionLocks(Needed needed, String aggregateType, Query query) {
        addQueryLocks(needed, aggregateType, query, TableLock.FOR_CONDITION);
    }

    private void addQueryLocks(Needed needed, String aggregateType, Query query, TableLock untagged) {
        if (query.isAll()) {
            needed.table = untagged;
            return;
        }
        for (QueryItem item : query.items()) {
            if (item.tags().isEmpty()) {
                needed.table = untagged;
                continue;
            }
            Tag tag = item.tags().iterator().next(); // any one of its tags will do: a match carries them all
            if (item.types().isEmpty()) {
                needed.add(key(aggregateType, null, tag), true);
            } else {
                for (String type : item.types()) {
                    needed.add(key(aggregateType, type, tag), true);
                }
            }
        }
    }

    /**
     * The statements that take the locks, as a {@link Prelude} for the statement that needs them (a read, a
     * check, an insert): the advisory locks in one statement, then the table lock if the query needs it
     * (which PostgreSQL only runs inside a transaction block: the caller opens one for it).
     */
    Prelude prelude(String schema, Needed needed) {
        StringBuilder sql = new StringBuilder();
        if (!needed.keys.isEmpty()) {
            sql.append("SELECT ");
            boolean first = true;
            for (boolean exclusive : needed.keys.values()) {
                sql.append(first ? "" : ", ")
                        .append(exclusive ? "pg_advisory_xact_lock(?, ?)" : "pg_advisory_xact_lock_shared(?, ?)");
                first = false;
            }
            sql.append("; ");
        }
        if (needed.table != TableLock.NONE) {
            sql.append("LOCK TABLE ").append(schema).append(".events IN ").append(needed.table.mode).append(" MODE; ");
        }
        String text = sql.toString();
        int statements = (needed.keys.isEmpty() ? 0 : 1) + (needed.table == TableLock.NONE ? 0 : 1);
        return new Prelude() {
            @Override
            public String sql() {
                return text;
            }

            @Override
            public int bind(PreparedStatement ps) throws SQLException {
                int p = 1;
                for (int key : needed.keys.keySet()) {
                    ps.setInt(p++, classId);
                    ps.setInt(p++, key);
                }
                return p;
            }

            @Override
            public int statements() {
                return statements;
            }
        };
    }

    /** The key of (aggregate type, event type or any, tag). NUL separates: names never contain it. */
    static int key(String aggregateType, String eventTypeOrAny, Tag tag) {
        return hash(aggregateType + '\u0000' + (eventTypeOrAny == null ? "" : eventTypeOrAny) + '\u0000' + tag.text());
    }

    /** FNV-1a over the UTF-8 bytes, 64 bits folded to 32: stable across JVMs and processes. */
    static int hash(String text) {
        long h = 0xcbf29ce484222325L;
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        return (int) (h ^ (h >>> 32));
    }
}
