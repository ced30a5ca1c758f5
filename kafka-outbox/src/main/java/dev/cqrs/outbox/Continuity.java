package dev.cqrs.outbox;

import dev.cqrs.postgres.PostgresEventStore;
import dev.cqrs.postgres.StoreIdentity;
import java.util.Optional;

/**
 * Whether a store can go on from a relay group's checkpoint. Publishing resumes after the checkpoint's
 * position; that is only right if the store is the one the checkpoint was written for, and still holds
 * the event the checkpoint names. Otherwise new events could get positions at or below the checkpoint and
 * never be published, while every lag reads zero: the silent loss this check exists to prevent.
 */
final class Continuity {

    /** What the check found. */
    sealed interface Verdict {
        /** The store holds the checkpoint's event: publishing goes on after it. */
        record Continues() implements Verdict {
        }

        /** The checkpoint was written for another store: two stores share a relay group name. */
        record AnotherStore(StoreIdentity theirs) implements Verdict {
        }

        /**
         * The store is behind the checkpoint: it does not hold the event the checkpoint names (restored,
         * recovered to a point in time, failed over to a standby that lost the last commits, or replaced).
         *
         * @param found what the store has at the checkpoint's position instead, if anything
         * @param head  the store's newest position
         */
        record Behind(RelayCheckpoints.Checkpoint checkpoint, Optional<PostgresEventStore.LoggedEvent> found, long head)
                implements Verdict {
        }
    }

    private Continuity() {
    }

    static Verdict check(PostgresEventStore store, RelayCheckpoints.Checkpoint checkpoint) {
        if (checkpoint.store().isPresent() && !checkpoint.store().get().storeId().equals(store.identity().storeId())) {
            return new Verdict.AnotherStore(checkpoint.store().get());
        }
        if (checkpoint.position() == 0) {
            return new Verdict.Continues();
        }
        Optional<PostgresEventStore.LoggedEvent> found = store.eventAt(checkpoint.position());
        boolean same = found.isPresent() && checkpoint.eventId().map(id -> id.equals(found.get().eventId())).orElse(true);
        return same ? new Verdict.Continues() : new Verdict.Behind(checkpoint, found, store.globalLog().headPosition());
    }

    /** What an operator reads: what happened, and what to do. */
    static String explain(Verdict verdict, String relayName, String checkpointTopic, StoreIdentity ours) {
        return switch (verdict) {
            case Verdict.Continues c -> "relay group '" + relayName + "' continues";
            case Verdict.AnotherStore another -> "relay group '" + relayName + "': its checkpoint in topic " + checkpointTopic
                    + " was written for " + another.theirs().describe() + ", but this relay publishes " + ours.describe()
                    + ". Two stores share a relay name: give each store's relays a name of their own (relay.name), or leave"
                    + " it unset (the default is unique per store). Nothing is published until then.";
            case Verdict.Behind behind -> "relay group '" + relayName + "': its checkpoint says every event up to global position "
                    + behind.checkpoint().position() + behind.checkpoint().eventId().map(id -> " (event " + id + ")").orElse("")
                    + " was published to Kafka, but " + ours.describe()
                    + behind.found().map(e -> " has another event there (" + e.eventId() + " of " + e.stream() + ")")
                            .orElse(" has no event at that position")
                    + "; its newest event is at " + behind.head() + ". The database is behind what Kafka has: it was restored"
                    + " from a backup, recovered to a point in time, failed over to a standby that had not received the last"
                    + " commits, or replaced. Publishing on could skip new events, whose positions may fall below the"
                    + " checkpoint, so nothing is published. If this is the right database, set relay.on.regression=realign"
                    + " (CQRS_RELAY_ON_REGRESSION=realign): the relay then renumbers the events written since the database went"
                    + " back above the checkpoint and publishes them, and logs the published events the database lost."
                    + " Otherwise point the relay at the right database.";
        };
    }
}
