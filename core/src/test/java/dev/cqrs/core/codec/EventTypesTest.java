package dev.cqrs.core.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cqrs.core.Event;
import dev.cqrs.core.contract.ContractEvent;
import org.junit.jupiter.api.Test;

class EventTypesTest {

    sealed interface Nested extends Event {
        record Top() implements Nested {
        }

        sealed interface Group extends Nested {
            record Inner() implements Group {
            }
        }
    }

    sealed interface Clashing extends Event {
        record Same() implements Clashing {
        }

        final class Other {
            record Same() implements Clashing {
            }
        }
    }

    interface NotSealed extends Event {
    }

    @Test
    void findsEveryEventRecordOfASealedInterfaceByItsTypeName() {
        EventTypes<ContractEvent> types = EventTypes.of(ContractEvent.class);
        assertThat(types.all()).containsOnlyKeys("Incremented", "Renamed");
        assertThat(types.classOf("Renamed")).contains(ContractEvent.Renamed.class);
        assertThat(types.classOf("Deleted")).isEmpty();
    }

    @Test
    void followsNestedSealedInterfaces() {
        assertThat(EventTypes.of(Nested.class).all()).containsOnlyKeys("Top", "Inner");
    }

    @Test
    void refusesTwoEventsWithOneTypeName() {
        assertThatThrownBy(() -> EventTypes.of(Clashing.class))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("share the type name 'Same'");
    }

    @Test
    void refusesAnInterfaceThatIsNotSealed() {
        assertThatThrownBy(() -> EventTypes.of(NotSealed.class))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sealed");
    }
}
