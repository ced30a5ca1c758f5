-- Tags: dynamic consistency boundaries (dcb.events). An event may carry tags chosen by its domain
-- (course:c1, student:s7); decisions read the events that match a query of event types and tags, and
-- append on condition that nothing matching arrived since (see ConditionalAppender, ConsistencyLocks and PostgresDcbStore).
--
-- tags is NULL for an untagged event, so the index below never sees one: untagged appends pay only the
-- index's predicate. Tags are sorted and unique within an event; none contains a comma.
ALTER TABLE events ADD COLUMN tags text[];

-- The events that carry a tag, for reads and conditions by tag (tags @> ARRAY[...]). A GIN index over
-- the whole array, partial so that it holds tagged events only. fastupdate is off: with GIN's pending
-- list every read by tag scans up to gin_pending_list_limit (4 MB) of unsorted entries until a vacuum
-- merges them (./cqrs bench, dcb-index-read: 236 reads/s against 9,354 for a b-tree on a side table);
-- without it, a tagged insert updates the index's tree at once. See BENCHMARKS.md (dcb).
CREATE INDEX events_tags ON events USING gin (tags) WITH (fastupdate = off) WHERE tags IS NOT NULL;

-- Fails a conditional append whose check found an event: ConditionalAppender sends its locks, its check
-- and its insert in one round trip, and this error is what keeps the insert from running. SQLSTATE
-- CQ001; the position of the event found is the error's DETAIL.
CREATE FUNCTION append_condition_failed(found_position bigint) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'append condition failed: an event matching it exists at position %', found_position
        USING ERRCODE = 'CQ001', DETAIL = found_position::text;
END
$$;
