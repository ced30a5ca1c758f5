package dev.cqrs.embedded.postgres;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An online base backup of a running primary into a new standby's data directory, without
 * {@code pg_basebackup} (zonky's binaries do not ship it): a physical replication slot that keeps the
 * WAL from now on, {@code pg_backup_start}, a file copy, {@code pg_backup_stop} and its
 * {@code backup_label}, then {@code standby.signal} and the standby's connection settings. Files that
 * change while they are copied are made consistent by replaying the WAL from the backup's start, as
 * with any base backup; the copy leaves out what {@code pg_basebackup} leaves out.
 */
final class BaseBackup {

    private static final Logger LOG = LoggerFactory.getLogger(BaseBackup.class);

    /** Directories whose contents a base backup leaves out (the directories themselves are kept). */
    private static final Set<String> EMPTIED = Set.of("pg_wal", "pg_replslot", "pg_dynshmem", "pg_notify", "pg_serial",
            "pg_snapshots", "pg_stat_tmp", "pg_subtrans");
    /** Files a base backup leaves out: the running server's, and zonky's lock. */
    private static final Set<String> LEFT_OUT = Set.of("postmaster.pid", "postmaster.opts", "backup_label", "tablespace_map",
            "standby.signal", "recovery.signal", "epg-lock", "postgresql.auto.conf.tmp");
    /** Settings of the standby that {@link #standbySettings} writes; the primary's values are dropped. */
    private static final List<String> STANDBY_SETTINGS = List.of("primary_conninfo", "primary_slot_name",
            "synchronous_standby_names");

    private BaseBackup() {
    }

    /**
     * Copies the primary at {@code primaryUrl}, whose data directory is {@code primaryData}, into
     * {@code standbyData} (which must not exist), as a standby named {@code name} that streams from
     * {@code primaryPort} through the replication slot {@code name}.
     */
    static void take(String primaryUrl, String user, String password, Path primaryData, int primaryPort, Path standbyData,
                     String name) {
        long started = System.nanoTime();
        try (Connection connection = DriverManager.getConnection(primaryUrl, user, password);
             Statement statement = connection.createStatement()) {
            recreateSlot(connection, name);
            // PostgreSQL refuses a data directory that others may read.
            Files.createDirectories(standbyData);
            Files.setPosixFilePermissions(standbyData, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
            statement.execute("SELECT pg_backup_start('cqrs standby " + name + "', true)");
            try {
                copy(primaryData, standbyData);
            } catch (RuntimeException e) {
                statement.execute("SELECT pg_backup_stop(false)");
                throw e;
            }
            try (ResultSet stop = statement.executeQuery("SELECT lsn, labelfile, spcmapfile FROM pg_backup_stop(false)")) {
                stop.next();
                Files.writeString(standbyData.resolve("backup_label"), stop.getString("labelfile"), StandardCharsets.UTF_8);
                String tablespaceMap = stop.getString("spcmapfile");
                if (tablespaceMap != null && !tablespaceMap.isEmpty()) {
                    Files.writeString(standbyData.resolve("tablespace_map"), tablespaceMap, StandardCharsets.UTF_8);
                }
                LOG.debug("base backup of port {} for standby {} ends at WAL {}", primaryPort, name, stop.getString("lsn"));
            }
            standbySettings(standbyData, primaryPort, user, name);
            Files.writeString(standbyData.resolve("standby.signal"), "");
        } catch (SQLException e) {
            throw new IllegalStateException("the base backup of the primary at port " + primaryPort + " for standby " + name
                    + " failed: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("the base backup of the primary at port " + primaryPort + " for standby " + name
                    + " could not write " + standbyData, e);
        }
        LOG.info("base backup of the PostgreSQL primary at port {} for standby {} taken in {} s", primaryPort, name,
                EmbeddedPostgresServer.seconds(System.nanoTime() - started));
    }

    /** The conninfo a standby named {@code name} streams from the primary at {@code primaryPort} with. */
    static String conninfo(int primaryPort, String user, String name) {
        return "host=127.0.0.1 port=" + primaryPort + " user=" + user + " application_name=" + name;
    }

    /**
     * A fresh physical slot keeps on the primary every WAL segment from the backup's start until the
     * standby has streamed it; one left by an earlier standby of the same name goes first.
     */
    private static void recreateSlot(Connection connection, String name) throws SQLException {
        try (PreparedStatement drop = connection.prepareStatement(
                "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = ? AND NOT active");
             PreparedStatement create = connection.prepareStatement("SELECT pg_create_physical_replication_slot(?, true)")) {
            drop.setString(1, name);
            drop.execute();
            create.setString(1, name);
            create.execute();
        }
    }

    private static void copy(Path from, Path to) {
        try {
            Files.walkFileTree(from, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path directory, BasicFileAttributes attributes) throws IOException {
                    Files.createDirectories(to.resolve(from.relativize(directory).toString()));
                    boolean emptied = directory.getParent() != null && directory.getParent().equals(from)
                            && EMPTIED.contains(directory.getFileName().toString());
                    if (emptied) {
                        if (directory.getFileName().toString().equals("pg_wal")) {
                            Files.createDirectories(to.resolve("pg_wal").resolve("archive_status"));
                        }
                        return FileVisitResult.SKIP_SUBTREE;
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                    String name = file.getFileName().toString();
                    if ((file.getParent().equals(from) && LEFT_OUT.contains(name)) || name.startsWith("pgsql_tmp")) {
                        return FileVisitResult.CONTINUE;
                    }
                    try {
                        Files.copy(file, to.resolve(from.relativize(file).toString()), StandardCopyOption.REPLACE_EXISTING);
                    } catch (NoSuchFileException e) {
                        // dropped while we copied: the WAL replay drops it too
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                    if (e instanceof NoSuchFileException) {
                        return FileVisitResult.CONTINUE;
                    }
                    throw e;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("could not copy " + from + " to " + to, e);
        }
    }

    /**
     * The standby's {@code postgresql.auto.conf}: the primary's, without its replication settings, plus
     * where to stream from, through which slot, and no synchronous standby of its own (so that, once
     * promoted, it does not wait for one until a standby is attached to it).
     */
    private static void standbySettings(Path standbyData, int primaryPort, String user, String name) throws IOException {
        Path file = standbyData.resolve("postgresql.auto.conf");
        List<String> lines = new ArrayList<>();
        if (Files.exists(file)) {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                String key = line.strip().split("[\\s=]", 2)[0];
                if (!STANDBY_SETTINGS.contains(key)) {
                    lines.add(line);
                }
            }
        }
        lines.add("primary_conninfo = '" + conninfo(primaryPort, user, name) + "'");
        lines.add("primary_slot_name = '" + name + "'");
        lines.add("synchronous_standby_names = ''");
        Files.write(file, lines, StandardCharsets.UTF_8);
    }
}
