package dev.cqrs.embedded.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class BrokerLogLevelsTest {

    @Test
    void unconfiguredBrokerLoggersGoToWarnAndAConfiguredLevelStays() {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        Logger raft = context.getLogger("org.apache.kafka.raft");
        Logger kafka = context.getLogger("kafka");
        Logger clients = context.getLogger("org.apache.kafka.clients");
        Level raftBefore = raft.getLevel();
        Level kafkaBefore = kafka.getLevel();
        Level clientsBefore = clients.getLevel();
        try {
            raft.setLevel(null);          // as in a project that says nothing about it
            kafka.setLevel(Level.DEBUG);  // as in a project that asked for the broker's details
            clients.setLevel(null);

            BrokerLogLevels.quietenUnconfigured();

            assertThat(raft.getLevel()).isEqualTo(Level.WARN);
            assertThat(kafka.getLevel()).isEqualTo(Level.DEBUG);
            assertThat(clients.getLevel()).as("the clients are the project's business").isNull();
        } finally {
            raft.setLevel(raftBefore);
            kafka.setLevel(kafkaBefore);
            clients.setLevel(clientsBefore);
        }
    }
}
