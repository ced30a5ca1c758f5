package dev.cqrs.bench.workload;

import dev.cqrs.projector.PostgresProjection;

/**
 * The bench's read model: one row per meter with its number of readings, their total, the last
 * source and the position of the last event applied (the row is guarded by it). Our side keeps it
 * with a {@link PostgresProjection}; a baseline writes the same rows with the same statement.
 */
public final class MeterTotals {

    /** The table, and the view readers query in the projector's read schema. */
    public static final String TABLE = "meter_totals";

    private MeterTotals() {
    }

    /** The DDL of the table, named {@code table} (possibly schema-qualified). */
    public static String ddl(String table) {
        return "CREATE TABLE " + table + " (id text PRIMARY KEY, readings bigint NOT NULL, total bigint NOT NULL,"
                + " last_source text NOT NULL, position bigint NOT NULL)";
    }

    /**
     * The upsert of one reading into {@code table}; parameters: meter id, amount, source, position. A row
     * already at or past the position is left alone, so applying an event twice changes nothing.
     */
    public static String upsert(String table) {
        return "INSERT INTO " + table + " AS t (id, readings, total, last_source, position) VALUES (?, 1, ?, ?, ?)"
                + " ON CONFLICT (id) DO UPDATE SET readings = t.readings + 1, total = t.total + excluded.total,"
                + " last_source = excluded.last_source, position = excluded.position WHERE t.position < excluded.position";
    }

    /** The projection {@code name} of the readings on {@code topic} into {@value #TABLE}. */
    public static PostgresProjection<MeterEvent> projection(String name, String topic) {
        String upsert = upsert(TABLE);
        return PostgresProjection.builder(name, topic, MeterStore.CODEC)
                .schema(ddl(TABLE))
                .views(TABLE)
                .on(MeterEvent.ReadingRecorded.class, (e, sql) -> sql.execute(upsert, e.aggregateId(),
                        e.event().amount(), e.event().source(), e.globalPosition()))
                .build();
    }
}
