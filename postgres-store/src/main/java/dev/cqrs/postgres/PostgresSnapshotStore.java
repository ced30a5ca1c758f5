package dev.cqrs.postgres;

import dev.cqrs.core.EventStoreException;
import dev.cqrs.core.Names;
import dev.cqrs.core.SnapshotStore;
import dev.cqrs.core.StreamId;
import dev.cqrs.core.Version;
import dev.cqrs.core.VersionedAggregate;
import dev.cqrs.core.codec.StateCodec;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Objects;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * The snapshots of one aggregate type and state schema version. Keeps the latest {@code kept} snapshots
 * per aggregate (of any schema version); reads only its own schema version.
 */
final class PostgresSnapshotStore<S> implements SnapshotStore<S> {

    private final String aggregateType;
    private final int schemaVersion;
    private final StateCodec<S> codec;
    private final DataSource pool;
    private final String selectSql;
    private final String insertSql;
    private final String trimSql;

    PostgresSnapshotStore(String aggregateType, int schemaVersion, StateCodec<S> codec, DataSource pool, String schema,
                          int kept) {
        this.aggregateType = Names.checkVerbatim("aggregate type", aggregateType, StreamId.MAX_TYPE_LENGTH);
        if (schemaVersion < 1) {
            throw new IllegalArgumentException("a state schema version starts at 1, got " + schemaVersion);
        }
        this.schemaVersion = schemaVersion;
        this.codec = Objects.requireNonNull(codec, "codec");
        this.pool = pool;
        this.selectSql = "SELECT version, content_type, state FROM " + schema + ".snapshots"
                + " WHERE aggregate_type = ? AND aggregate_id = ? AND schema_version = ? ORDER BY version DESC LIMIT 1";
        this.insertSql = "INSERT INTO " + schema + ".snapshots (aggregate_type, aggregate_id, version, schema_version,"
                + " content_type, state) SELECT ?, ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM " + schema
                + ".snapshots WHERE aggregate_type = ? AND aggregate_id = ? AND schema_version = ? AND version >= ?)";
        this.trimSql = "DELETE FROM " + schema + ".snapshots WHERE aggregate_type = ? AND aggregate_id = ?"
                + " AND (version, schema_version) NOT IN (SELECT version, schema_version FROM " + schema
                + ".snapshots WHERE aggregate_type = ? AND aggregate_id = ? ORDER BY version DESC, taken_at DESC LIMIT "
                + kept + ")";
    }

    @Override
    public Optional<VersionedAggregate<S>> getSnapshot(String aggregateId) {
        StreamId stream = StreamId.of(aggregateType, aggregateId);
        try (Connection connection = pool.getConnection(); PreparedStatement ps = connection.prepareStatement(selectSql)) {
            ps.setString(1, aggregateType);
            ps.setString(2, aggregateId);
            ps.setInt(3, schemaVersion);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                String contentType = rs.getString(2);
                if (!contentType.equals(codec.contentType())) {
                    throw new EventStoreException("the snapshot of " + stream + " is " + contentType
                            + ", not " + codec.contentType());
                }
                return Optional.of(new VersionedAggregate<>(Version.of(rs.getLong(1)), codec.decode(rs.getBytes(3))));
            }
        } catch (SQLException e) {
            throw SqlFailures.readFailed("reading the snapshot of " + stream, e);
        }
    }

    @Override
    public void persistSnapshot(String aggregateId, VersionedAggregate<S> snapshot) {
        StreamId stream = StreamId.of(aggregateType, aggregateId);
        byte[] state = codec.encode(snapshot.state());
        try (Connection connection = pool.getConnection()) {
            connection.setAutoCommit(false);
            try (PreparedStatement insert = connection.prepareStatement(insertSql);
                 PreparedStatement trim = connection.prepareStatement(trimSql)) {
                insert.setString(1, aggregateType);
                insert.setString(2, aggregateId);
                insert.setLong(3, snapshot.version().asLong());
                insert.setInt(4, schemaVersion);
                insert.setString(5, codec.contentType());
                insert.setBytes(6, state);
                insert.setString(7, aggregateType);
                insert.setString(8, aggregateId);
                insert.setInt(9, schemaVersion);
                insert.setLong(10, snapshot.version().asLong());
                if (insert.executeUpdate() > 0) {
                    trim.setString(1, aggregateType);
                    trim.setString(2, aggregateId);
                    trim.setString(3, aggregateType);
                    trim.setString(4, aggregateId);
                    trim.executeUpdate();
                }
                connection.commit();
            } catch (SQLException e) {
                connection.rollback();
                throw e;
            } finally {
                connection.setAutoCommit(true);
            }
        } catch (SQLException e) {
            if (SqlFailures.isUniqueViolation(e, "snapshots_pkey")) {
                return; // a concurrent writer kept the same snapshot
            }
            throw new EventStoreException("writing the snapshot of " + stream + " at version "
                    + snapshot.version() + " failed: " + SqlFailures.describe(e), e);
        }
    }
}
