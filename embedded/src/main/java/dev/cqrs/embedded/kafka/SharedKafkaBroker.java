package dev.cqrs.embedded.kafka;

import dev.cqrs.embedded.ServerBackend;
import dev.cqrs.embedded.containers.ContainerServers;

/** The one {@link KafkaBroker#shared()} broker of this JVM, made on first use by the {@link ServerBackend}. */
final class SharedKafkaBroker {

    private static KafkaBroker broker;

    private SharedKafkaBroker() {
    }

    static synchronized KafkaBroker get() {
        if (broker == null) {
            broker = switch (ServerBackend.selected()) {
                case CONTAINERS -> new ExternalKafkaBroker(ContainerServers.shared().kafkaBootstrapServers());
                case EXTERNAL -> ExternalKafkaBroker.fromEnvironment(System.getenv())
                        .orElseThrow(() -> ServerBackend.missing(ExternalKafkaBroker.BOOTSTRAP_VARIABLE));
                case EMBEDDED -> ExternalKafkaBroker.fromEnvironment(System.getenv())
                        .<KafkaBroker>map(external -> external)
                        .orElseGet(() -> {
                            KafkaBroker started = InProcessKafkaBroker.start(KafkaOptions.temporary());
                            Runtime.getRuntime().addShutdownHook(new Thread(started::close, "cqrs-kafka-shutdown"));
                            return started;
                        });
            };
        }
        return broker;
    }
}
