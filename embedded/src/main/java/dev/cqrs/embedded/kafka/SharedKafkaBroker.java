package dev.cqrs.embedded.kafka;

/** The one {@link KafkaBroker#shared()} broker of this JVM, made on first use. */
final class SharedKafkaBroker {

    private static KafkaBroker broker;

    private SharedKafkaBroker() {
    }

    static synchronized KafkaBroker get() {
        if (broker == null) {
            broker = ExternalKafkaBroker.fromEnvironment(System.getenv())
                    .<KafkaBroker>map(external -> external)
                    .orElseGet(() -> {
                        KafkaBroker started = InProcessKafkaBroker.start(KafkaOptions.temporary());
                        Runtime.getRuntime().addShutdownHook(new Thread(started::close, "cqrs-kafka-shutdown"));
                        return started;
                    });
        }
        return broker;
    }
}
