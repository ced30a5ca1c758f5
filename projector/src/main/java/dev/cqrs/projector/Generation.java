package dev.cqrs.projector;

/**
 * One generation of a PostgreSQL projection, and every name it is known by: the schema that holds its
 * tables and positions, the Kafka Streams application (its consumer group and transactional ids), the
 * state store of its tasks and its dead-letter topic. A rebuild makes the next generation beside the
 * serving one; nothing of the two shares a name.
 *
 * @param projection the projection's name
 * @param number     1 for the first generation, one more for each rebuild
 */
record Generation(String projection, int number) {

    /** The PostgreSQL schema of this generation's tables, positions and dead letters. */
    String schema() {
        return projection + "_g" + number;
    }

    /** The Kafka Streams application id, which is also its consumer group. */
    String applicationId(String prefix) {
        return prefix + "-" + projection + "-g" + number;
    }

    /** The name of the state store each of its tasks buffers in. */
    String storeName() {
        return projection + "-g" + number + "-read-model";
    }

    /** The topic its dead letters are copied to, for consumers (PostgreSQL holds the record of truth). */
    String deadLetterTopic(String prefix) {
        return StreamApplications.deadLetterTopic(applicationId(prefix));
    }

    @Override
    public String toString() {
        return projection + " generation " + number;
    }
}
