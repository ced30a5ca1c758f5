package dev.cqrs.core.contract;

import dev.cqrs.core.Decision;
import dev.cqrs.core.Tag;
import dev.cqrs.core.contract.TaggedContractEvent.Opened;
import dev.cqrs.core.dcb.Decider;
import dev.cqrs.core.dcb.Query;
import dev.cqrs.core.dcb.QueryItem;
import java.util.Set;

/**
 * The contract's decision over two boundaries at once: a pool has at most {@code poolLimit} seats taken,
 * a client takes at most {@code clientLimit} seats. A seat is an {@code Opened} event tagged with both.
 */
public record SeatDecider(int poolLimit, int clientLimit) implements Decider<SeatDecider.Counts, SeatDecider.Take, TaggedContractEvent> {

    /** Take a seat of {@code pool} for {@code client}; the seat's event goes to stream {@code pool}. */
    public record Take(String pool, String client) {
    }

    /** Seats taken in the pool and by the client. */
    public record Counts(String pool, String client, int inPool, int byClient) {
    }

    public static Tag pool(String pool) {
        return Tag.of("pool", pool);
    }

    public static Tag client(String client) {
        return Tag.of("client", client);
    }

    @Override
    public Query query(Take take) {
        return Query.of(QueryItem.ofTypes(Opened.class).withTags(pool(take.pool())),
                QueryItem.ofTypes(Opened.class).withTags(client(take.client())));
    }

    @Override
    public String streamOf(Take take) {
        return take.pool();
    }

    @Override
    public Counts initialState(Take take) {
        return new Counts(take.pool(), take.client(), 0, 0);
    }

    @Override
    public Counts evolve(Counts counts, TaggedContractEvent event) {
        int pool = event.eventTags().contains(pool(counts.pool())) ? 1 : 0;
        int client = event.eventTags().contains(client(counts.client())) ? 1 : 0;
        return new Counts(counts.pool(), counts.client(), counts.inPool() + pool, counts.byClient() + client);
    }

    @Override
    public Decision<TaggedContractEvent> decide(Counts counts, Take take) {
        if (counts.inPool() >= poolLimit) {
            return Decision.reject("POOL_FULL", "pool " + take.pool() + " has all its " + poolLimit + " seats taken");
        }
        if (counts.byClient() >= clientLimit) {
            return Decision.reject("CLIENT_LIMIT", "client " + take.client() + " has " + clientLimit + " seats already");
        }
        return Decision.accept(new Opened("seat", Set.of(pool(take.pool()), client(take.client()))));
    }
}
