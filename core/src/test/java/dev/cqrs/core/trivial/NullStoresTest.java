package dev.cqrs.core.trivial;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cqrs.core.CommandMetadata;
import dev.cqrs.core.CommandResult;
import dev.cqrs.core.Precondition;
import dev.cqrs.core.PreconditionFailedException;
import dev.cqrs.core.Since;
import dev.cqrs.core.Version;
import dev.cqrs.core.VersionedAggregate;
import dev.cqrs.core.contract.ContractCommand;
import dev.cqrs.core.contract.ContractEvent;
import dev.cqrs.core.contract.ContractState;
import dev.cqrs.core.contract.CounterAggregate;
import dev.cqrs.core.entity.CompositeEntityStore;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class NullStoresTest {

    @Test
    void theNullEventStoreChecksPreconditionsAgainstAnAbsentStreamAndKeepsNothing() {
        NullEventStore<ContractEvent> store = NullEventStore.create("counter");
        var result = store.append("a", List.of(new ContractEvent.Incremented(1)), Optional.of(Precondition.isNew()), CommandMetadata.create());
        assertThat(result.version()).isEqualTo(Version.of(1));
        assertThat(store.readEvents("a", Since.beginning())).isEmpty();
        assertThat(store.currentVersion("a")).isEmpty();
        assertThatThrownBy(() -> store.append("a", List.of(new ContractEvent.Incremented(1)), Optional.of(Precondition.exists()), CommandMetadata.create()))
                .isInstanceOf(PreconditionFailedException.class);
    }

    @Test
    void theNullSnapshotStoreKeepsNothing() {
        NullSnapshotStore<ContractState> store = NullSnapshotStore.create();
        store.persistSnapshot("a", new VersionedAggregate<>(Version.of(1), ContractState.INITIAL));
        assertThat(store.getSnapshot("a")).isEmpty();
    }

    @Test
    void commandsRunAgainstTheNullStoreAsOnAFreshAggregate() {
        var store = CompositeEntityStore.<ContractState, ContractCommand, ContractEvent>builder(
                new CounterAggregate("counter"), NullEventStore.create("counter")).build();
        var first = store.execute("a", new ContractCommand.Increment(2), CommandMetadata.create());
        var second = store.execute("a", new ContractCommand.Increment(2), CommandMetadata.create());
        assertThat(first).isInstanceOf(CommandResult.Accepted.class);
        assertThat(((CommandResult.Accepted<ContractState, ContractEvent>) second).aggregate().state().count()).isEqualTo(2);
    }
}
