package dev.cqrs.embedded.kafka;

import java.util.Collection;
import java.util.Map;

/**
 * A real Kafka broker for tests and dev mode: a single-node KRaft broker (broker and controller in
 * one) run in this JVM from the production jars, or an external cluster named by an environment
 * variable. For tests that must kill the broker, see {@link KafkaBrokerProcess}.
 *
 * <p>The embedded broker is configured for one node: the offsets, transaction state and share
 * state topics have replication factor 1 and min.insync.replicas 1, so transactions and consumer
 * groups work; {@code group.initial.rebalance.delay.ms=0} keeps consumer start-up fast.
 *
 * <p>Environment variable, read by {@link #shared()}: {@code CQRS_KAFKA_BOOTSTRAP}, the bootstrap
 * servers of an external cluster ({@code host:port[,host:port...]}); when set, no broker is
 * started.
 *
 * <p>Give every test its own topics ({@link #uniqueTopic(String)}) so that tests sharing a broker
 * stay independent.
 */
public sealed interface KafkaBroker extends AutoCloseable permits InProcessKafkaBroker, ExternalKafkaBroker {

    /**
     * The broker shared by everything in this JVM: started on first use (temporary data, free
     * ports) and closed by a shutdown hook; or the external cluster of
     * {@code CQRS_KAFKA_BOOTSTRAP}. Thread-safe. Do not close it.
     */
    static KafkaBroker shared() {
        return SharedKafkaBroker.get();
    }

    /**
     * Starts an in-process broker of its own, whatever the environment says, and blocks until it
     * serves clients (1-5 s).
     */
    static KafkaBroker start(KafkaOptions options) {
        return InProcessKafkaBroker.start(options);
    }

    /** A cluster that someone else runs, e.g. a container; {@link #close()} leaves it alone. */
    static KafkaBroker external(String bootstrapServers) {
        return new ExternalKafkaBroker(bootstrapServers);
    }

    /**
     * A topic name that no other call (in any JVM) returns: {@code prefix} with characters Kafka
     * does not allow turned into {@code -}, then a counter and random hex.
     */
    static String uniqueTopic(String prefix) {
        return Topics.uniqueName(prefix);
    }

    /** The {@code bootstrap.servers} value for clients. */
    String bootstrapServers();

    /**
     * Creates a topic with the cluster's default replication factor (1 on the embedded broker)
     * and the broker's default topic settings, and waits until it exists.
     *
     * @throws IllegalStateException when it exists already or cannot be created
     */
    default void createTopic(String name, int partitions) {
        createTopic(name, partitions, Map.of());
    }

    /**
     * Creates a topic as {@link #createTopic(String, int)} does, with topic settings of its own
     * ({@code retention.ms}, {@code cleanup.policy}, ...) over the broker's defaults.
     *
     * @throws IllegalStateException when it exists already or cannot be created
     */
    default void createTopic(String name, int partitions, Map<String, String> configs) {
        Topics.create(bootstrapServers(), name, partitions, configs);
    }

    /**
     * Deletes the topics and waits until the broker has taken the request (it frees their files a
     * little later). A topic that does not exist is ignored.
     *
     * @throws IllegalStateException when the broker does not answer
     */
    default void deleteTopics(Collection<String> names) {
        Topics.delete(bootstrapServers(), names);
    }

    /**
     * Stops the embedded broker and deletes its temporary data directory; does nothing for an
     * external cluster.
     */
    @Override
    void close();
}
