package dev.cqrs.core.contract;

import dev.cqrs.core.Aggregate;
import dev.cqrs.core.Decision;
import dev.cqrs.core.EventNumber;
import dev.cqrs.core.VersionedEventWithMetadata;
import java.util.ArrayList;
import java.util.List;

/**
 * A counter whose every event carries the version it was decided at: its state is the number of events so far,
 * and any {@code Increment} is decided as {@code Incremented(state)}. So in a stream written only through it,
 * the event at sequence n must hold n - 1. A writer that decided on a stale state and was wrongly let through
 * (a precondition not checked, a cache entry trusted) leaves an event whose payload is below its sequence - 1:
 * the race tests look for exactly that, which counting events or versions would not see.
 */
public final class StampingCounter implements Aggregate<Long, ContractCommand, ContractEvent> {

    private final String aggregateType;

    public StampingCounter(String aggregateType) {
        this.aggregateType = aggregateType;
    }

    @Override
    public String aggregateType() {
        return aggregateType;
    }

    @Override
    public Long initialState() {
        return 0L;
    }

    @Override
    public Decision<ContractEvent> decide(Long version, ContractCommand command) {
        return switch (command) {
            case ContractCommand.Increment increment -> Decision.accept(new ContractEvent.Incremented(Math.toIntExact(version)));
            case ContractCommand.Rename rename -> Decision.reject("UNSUPPORTED", "a stamping counter only counts");
        };
    }

    @Override
    public Long apply(Long version, ContractEvent event) {
        return version + 1;
    }

    /** The event a writer that decided at {@code version} appends. */
    public static ContractEvent decidedAt(long version) {
        return new ContractEvent.Incremented(Math.toIntExact(version));
    }

    /**
     * The events of a stream that do not carry the version they were decided at (sequence - 1), described; empty
     * when every event does.
     */
    public static List<String> staleDecisions(List<? extends VersionedEventWithMetadata<ContractEvent>> events) {
        List<String> stale = new ArrayList<>();
        for (VersionedEventWithMetadata<ContractEvent> event : events) {
            EventNumber sequence = event.sequence();
            if (!(event.event() instanceof ContractEvent.Incremented(int decidedAt)) || decidedAt != sequence.value() - 1) {
                stale.add("event " + sequence.value() + " is " + event.event() + ", decided at version "
                        + (event.event() instanceof ContractEvent.Incremented(int at) ? at : "?") + " instead of "
                        + (sequence.value() - 1));
            }
        }
        return stale;
    }
}
