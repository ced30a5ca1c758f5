-- Tags in a b-tree side table: one row per (aggregate type, tag, event), written by the append's own
-- statement (Appender: a CTE after the events insert, so the same transaction and round trip, and the
-- events insert stays the transaction's first write). Reads and conditions by tag find their events
-- here, in log order, and fetch them by global_position (QuerySql). The events.tags column stays as V3
-- wrote it: it is what reads return and what the relay publishes (the cqrs-tags header); this table only
-- indexes it.
--
-- Why not V3's GIN index: a read of one tag's events through a b-tree of (aggregate type, tag, position)
-- is a range scan in log order that stops at its LIMIT, where the GIN index is a bitmap that must then be
-- sorted; ./cqrs bench (dcb-index-read) measured 1.6x the GIN index's reads at about the same insert
-- cost. See BENCHMARKS.md (dcb).
--
-- No foreign key to events: it would cost every tagged insert a lookup. Every read joins to events by
-- position, so a row without its event (none is ever made, but a hand-deleted event would leave one)
-- finds nothing.
--
-- Upgrading: every process that appends tagged events must run a version that writes this table. An
-- older appender still running after this migration writes its tags into events.tags only, and reads
-- by tag would not find those events.
CREATE TABLE event_tags (
    aggregate_type  text   NOT NULL,
    tag             text   NOT NULL,
    global_position bigint NOT NULL,
    CONSTRAINT event_tags_pkey PRIMARY KEY (aggregate_type, tag, global_position)
);

-- The tagged events appended before this migration.
INSERT INTO event_tags (aggregate_type, tag, global_position)
SELECT e.aggregate_type, t.tag, e.global_position
FROM events e, unnest(e.tags) AS t(tag)
WHERE e.tags IS NOT NULL;

-- Nothing reads through the GIN index any more; without it a tagged insert no longer updates its tree.
DROP INDEX events_tags;

ANALYZE event_tags;
