package dev.cqrs.embedded.postgres;

/** How a {@link ReplicatedPostgres} primary waits for its standby before a commit returns. */
public enum ReplicationMode {
    /**
     * {@code synchronous_standby_names} names the standby and {@code synchronous_commit=on}: a commit
     * returns once the standby has flushed its WAL, so a failover loses nothing acknowledged. While the
     * standby is attached but not answering, commits wait.
     */
    SYNCHRONOUS,
    /**
     * No synchronous standby: a commit returns once it is durable on the primary; the standby follows
     * as fast as it can, and a failover loses whatever it had not received yet.
     */
    ASYNCHRONOUS
}
