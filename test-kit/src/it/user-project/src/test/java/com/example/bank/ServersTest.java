package com.example.bank;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cqrs.codec.registry.SchemaRegistryClient;
import dev.cqrs.test.CqrsServers;
import dev.cqrs.test.CqrsTest;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.apache.avro.SchemaBuilder;
import org.junit.jupiter.api.Test;

/** What a newcomer's first test gets from the test kit: PostgreSQL 17 (not zonky's default 14), Kafka, a registry. */
@CqrsTest
class ServersTest {

    @Test
    void thePostgresServerIsVersion17(CqrsServers servers) throws Exception {
        try (Connection connection = servers.dataSource().getConnection();
             Statement statement = connection.createStatement();
             ResultSet version = statement.executeQuery("SHOW server_version")) {
            version.next();
            System.out.println("user-project: PostgreSQL " + version.getString(1));
            assertTrue(version.getString(1).startsWith("17."), "PostgreSQL 17, got " + version.getString(1));
        }
    }

    @Test
    void kafkaAndTheRegistryAnswer(CqrsServers servers) {
        String topic = servers.createTopic("account-events", 3);
        assertTrue(topic.endsWith("account-events"));
        try (SchemaRegistryClient registry = SchemaRegistryClient.builder(servers.schemaRegistryUrl()).build()) {
            int id = registry.register("bank.Opened", SchemaBuilder.record("Opened").namespace("bank").fields()
                    .requiredString("owner").endRecord());
            assertEquals(id, registry.register("bank.Opened", SchemaBuilder.record("Opened").namespace("bank").fields()
                    .requiredString("owner").endRecord()));
        }
    }
}
