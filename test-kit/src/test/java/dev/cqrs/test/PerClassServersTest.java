package dev.cqrs.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.platform.testkit.engine.EngineTestKit;

/** Two users' classes get a database and a topic prefix each, on the same servers. */
class PerClassServersTest {

    static final List<CqrsServers> seen = new CopyOnWriteArrayList<>();

    @Test
    void eachClassGetsADatabaseAndATopicPrefixOfItsOwn() {
        seen.clear();
        EngineTestKit.engine("junit-jupiter").selectors(selectClass(First.class), selectClass(Second.class))
                .execute().testEvents().assertStatistics(stats -> stats.succeeded(4).failed(0).aborted(0));

        assertThat(seen).hasSize(4);
        assertThat(seen.stream().distinct()).as("one CqrsServers per class, shared by its tests").hasSize(2);
        CqrsServers first = seen.stream().filter(s -> s.database().name().startsWith("first_")).findFirst().orElseThrow();
        CqrsServers second = seen.stream().filter(s -> s.database().name().startsWith("second_")).findFirst().orElseThrow();
        assertThat(first.database().name()).isNotEqualTo(second.database().name());
        assertThat(first.topicPrefix()).startsWith("First-").isNotEqualTo(second.topicPrefix());
        assertThat(first.bootstrapServers()).isEqualTo(second.bootstrapServers());
        assertThat(first.schemaRegistryUrl()).isEqualTo(second.schemaRegistryUrl());
    }

    @CqrsTest
    static class First {

        @Test
        void one(CqrsServers servers) {
            seen.add(servers);
        }

        @Test
        void two(CqrsServers servers) {
            seen.add(servers);
        }
    }

    @CqrsTest
    static class Second {

        @Test
        void one(CqrsServers servers) {
            seen.add(servers);
        }

        @Test
        void two(CqrsServers servers) {
            seen.add(servers);
        }
    }
}
