package dev.cqrs.bench.report;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

/**
 * The PostgreSQL server's version and the settings that decide what a write costs, as the server
 * reports them (not as we asked for them).
 */
public record ServerSettings(String description, Map<String, String> settings) {

    /** The settings shown with every run. */
    static final List<String> NAMES = List.of("server_version", "fsync", "synchronous_commit", "wal_sync_method",
            "full_page_writes", "wal_level", "shared_buffers", "max_wal_size", "checkpoint_timeout", "max_connections");

    public ServerSettings {
        settings = Map.copyOf(settings);
    }

    public static ServerSettings read(String description, DataSource dataSource) throws SQLException {
        Map<String, String> settings = new LinkedHashMap<>();
        try (Connection connection = dataSource.getConnection();
             PreparedStatement ps = connection.prepareStatement("SELECT current_setting(?)")) {
            for (String name : NAMES) {
                ps.setString(1, name);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    settings.put(name, rs.getString(1));
                }
            }
        }
        return new ServerSettings(description, settings);
    }

    public String get(String name) {
        return settings.getOrDefault(name, "?");
    }

    /** True when a commit waits for its WAL to reach the disk, as a production server's does. */
    public boolean isDurable() {
        return "on".equals(get("fsync")) && "on".equals(get("synchronous_commit"));
    }

    public String describe() {
        StringBuilder line = new StringBuilder("PostgreSQL ").append(get("server_version"));
        for (String name : NAMES.subList(1, NAMES.size())) {
            line.append(", ").append(name).append('=').append(get(name));
        }
        return line.append(" (").append(description).append(')').toString();
    }
}
