-- Who this store is: a random id made once, when the store's schema is created. A restored backup, a
-- promoted standby or a pg_dump copy keeps it (it is the same store, possibly gone back in time); another
-- schema or another database gets its own. The relay writes it into its checkpoint, so that two stores
-- never resume from each other's checkpoint, and so that a store behind its checkpoint is recognised as
-- the same store gone back in time.
CREATE TABLE store_identity (
    store_id   uuid        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    singleton  boolean     NOT NULL DEFAULT true,
    CONSTRAINT store_identity_one_row PRIMARY KEY (singleton),
    CONSTRAINT store_identity_singleton CHECK (singleton)
);

INSERT INTO store_identity (store_id) VALUES (gen_random_uuid());
