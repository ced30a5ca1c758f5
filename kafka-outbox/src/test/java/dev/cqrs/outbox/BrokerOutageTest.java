package dev.cqrs.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cqrs.core.RawEvent;
import dev.cqrs.embedded.kafka.KafkaBrokerProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The broker (a process of its own) is down for 20 seconds while appends go on. */
class BrokerOutageTest {

    private final RelayTestSupport support = new RelayTestSupport("outage");

    @TempDir
    Path brokerData;

    @AfterEach
    void close() {
        support.close();
    }

    @Test
    void appendsGoOnWhileTheBrokerIsDownAndTheBacklogDrainsExactlyOnceWhenItReturns() throws Exception {
        try (KafkaBrokerProcess broker = KafkaBrokerProcess.start(brokerData)) {
            String bootstrap = broker.bootstrapServers();
            try (Relay relay = Relay.start(support.store, support.relayConfig(bootstrap))) {
                Thread[] writers = support.writeFor(Duration.ofSeconds(30), 2);
                Thread.sleep(4_000);
                long publishedBefore = relay.status().eventsPublished();
                broker.kill();
                Thread.sleep(20_000);
                long storedDuringOutage = support.all().size();
                broker.restart();
                RelayTestSupport.join(writers);
                List<RawEvent> stored = support.all();
                Published seen = Published.settled(bootstrap, support.topics(), stored.size(), Duration.ofSeconds(120));
                assertThat(publishedBefore).as("published before the outage").isPositive();
                assertThat(support.writeErrors()).as("appends that failed while the broker was down").isZero();
                assertThat(relay.status().errors()).as("the relay noticed the outage").isPositive();
                seen.assertExactlyOnceInOrder(stored);
                System.out.printf("broker outage: %d events stored by the end of the 20 s outage, %d in all, published exactly once;"
                        + " the relay recovered from %d errors%n", storedDuringOutage, stored.size(), relay.status().errors());
            }
        }
    }
}
