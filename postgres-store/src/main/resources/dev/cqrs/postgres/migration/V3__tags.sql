-- Tags: dynamic consistency boundaries (dcb.events). An event may carry tags chosen by its domain
-- (course:c1, student:s7); decisions read the events that match a query of event types and tags, and
-- append on condition that nothing matching arrived since (see ConditionalAppender and DcbQuery).
--
-- tags is NULL for an untagged event, so the index below never sees one: untagged appends pay only the
-- index's predicate. Tags are sorted and unique within an event; none contains a comma.
ALTER TABLE events ADD COLUMN tags text[];

-- The events that carry a tag, for reads and conditions by tag (tags @> ARRAY[...]). A GIN index over
-- the whole array, partial so that it holds tagged events only; see BENCHMARKS.md (dcb) for how it
-- compares with a table of (tag, position) rows.
CREATE INDEX events_tags ON events USING gin (tags) WHERE tags IS NOT NULL;
