-- The event store. The events table is also the outbox: the relay reads it through the global log.
--
-- global_position orders the global log. It is (transaction id << 16) + the event's index within its
-- append, computed inside the appending statement, so:
--   * it is unique and increases in the order in which transactions took their ids;
--   * every event of a transaction older than the oldest running one is final, so a reader that only
--     takes positions below (pg_snapshot_xmin(pg_current_snapshot()) << 16) never skips an event
--     whose transaction commits late, and never sees one twice;
--   * an append that follows another on the same stream (it read the other's committed events) got
--     its transaction id later, so per-stream order and global order agree.
-- See PostgresEventStore and ARCHITECTURE.md for the argument in full.
CREATE TABLE events (
    global_position bigint      NOT NULL,
    aggregate_type  text        NOT NULL,
    aggregate_id    text        NOT NULL,
    sequence        bigint      NOT NULL,
    event_type      text        NOT NULL,
    content_type    text        NOT NULL,
    payload         bytea       NOT NULL,
    event_id        uuid        NOT NULL,
    correlation_id  uuid        NOT NULL,
    causation_id    uuid,
    initiated_by    text,
    -- header names and values, alternating; NULL when there are none
    headers         text[],
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT events_pkey PRIMARY KEY (global_position),
    CONSTRAINT events_stream_sequence UNIQUE (aggregate_type, aggregate_id, sequence),
    CONSTRAINT events_sequence_from_one CHECK (sequence > 0)
);

-- One row per stream: lists aggregates with stable, keyset paging.
CREATE INDEX events_streams ON events (aggregate_type, aggregate_id) WHERE sequence = 1;

-- The first result of every command that carried an idempotency key.
CREATE TABLE idempotency_keys (
    idempotency_key text        NOT NULL,
    aggregate_type  text        NOT NULL,
    aggregate_id    text        NOT NULL,
    first_sequence  bigint      NOT NULL,
    last_sequence   bigint      NOT NULL,
    first_position  bigint      NOT NULL,
    last_position   bigint      NOT NULL,
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT idempotency_keys_pkey PRIMARY KEY (idempotency_key)
);

-- The latest few snapshots per aggregate, each tagged with the schema version of the state it holds.
CREATE TABLE snapshots (
    aggregate_type text        NOT NULL,
    aggregate_id   text        NOT NULL,
    version        bigint      NOT NULL,
    schema_version int         NOT NULL,
    content_type   text        NOT NULL,
    state          bytea       NOT NULL,
    taken_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT snapshots_pkey PRIMARY KEY (aggregate_type, aggregate_id, version, schema_version)
);
