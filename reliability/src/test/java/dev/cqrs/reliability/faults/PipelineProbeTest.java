package dev.cqrs.reliability.faults;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.junit.jupiter.api.Test;

/** The probe puts one to-do on each partition: it must pick partitions as the relay's producer does. */
class PipelineProbeTest {

    @Test
    void aKeyGoesToThePartitionKafkasProducerGivesIt() {
        for (int i = 0; i < 1_000; i++) {
            String key = UUID.randomUUID().toString();
            assertThat(PipelineProbe.partitionOf(key, 6))
                    .isEqualTo(BuiltInPartitioner.partitionForKey(key.getBytes(StandardCharsets.UTF_8), 6));
        }
    }
}
