package dev.holdfast.lock.testkit.harness;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.regex.Pattern;

/**
 * The shared resource the harness protects: a PostgreSQL table with one row per lock name that accepts a
 * write only with a fencing token greater than the last accepted one
 * ({@code UPDATE ... SET fence = ? WHERE name = ? AND fence < ?}), plus a log of every accepted write in
 * commit order (same statement, so a write and its log entry commit together). A stale holder's write is
 * rejected, and the log lets the checker verify the order the database really accepted.
 */
final class Ledger {

    private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,50}");

    /** One accepted write, in the order the database committed it. */
    record Entry(long id, String name, long token, String worker) {
    }

    private final String url;
    private final String user;
    private final String password;
    private final String table;

    Ledger(String url, String user, String password, String table) {
        if (!IDENTIFIER.matcher(table).matches()) {
            throw new IllegalArgumentException("ledger table must be a plain lower-case identifier: " + table);
        }
        this.url = url;
        this.user = user;
        this.password = password;
        this.table = table;
    }

    String table() {
        return table;
    }

    Connection connect(String applicationName) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", user);
        props.setProperty("password", password);
        props.setProperty("ApplicationName", applicationName);
        return DriverManager.getConnection(url, props);
    }

    /** Creates the ledger and its log with one row per name (fence at the lowest long). */
    void create(List<String> names) throws SQLException {
        try (Connection c = connect("holdfast-harness-ledger"); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE " + table + " (name varchar(200) PRIMARY KEY, fence bigint NOT NULL, writes bigint NOT NULL)");
            s.execute("CREATE TABLE " + table + "_log (id bigserial PRIMARY KEY, name varchar(200) NOT NULL,"
                    + " token bigint NOT NULL, worker varchar(100) NOT NULL)");
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table + " VALUES (?, ?, 0)")) {
                for (String n : names) {
                    ps.setString(1, n);
                    ps.setLong(2, Long.MIN_VALUE);
                    ps.executeUpdate();
                }
            }
        }
    }

    /** Drops the ledger and its log. */
    void drop() throws SQLException {
        try (Connection c = connect("holdfast-harness-ledger"); Statement s = c.createStatement()) {
            s.execute("DROP TABLE IF EXISTS " + table);
            s.execute("DROP TABLE IF EXISTS " + table + "_log");
        }
    }

    /** The accepted writes, in commit order. */
    List<Entry> log() throws SQLException {
        List<Entry> out = new ArrayList<>();
        try (Connection c = connect("holdfast-harness-ledger"); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT id, name, token, worker FROM " + table + "_log ORDER BY id")) {
            while (rs.next()) {
                out.add(new Entry(rs.getLong(1), rs.getString(2), rs.getLong(3), rs.getString(4)));
            }
        }
        return out;
    }

    /** The per-name write counters ({@code writes} column), summed. */
    long countedWrites() throws SQLException {
        try (Connection c = connect("holdfast-harness-ledger"); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT coalesce(sum(writes), 0) FROM " + table)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** One thread's connection to the ledger. */
    Writer writer(String applicationName) throws SQLException {
        return new Writer(connect(applicationName));
    }

    final class Writer implements AutoCloseable {
        private final Connection c;
        private final PreparedStatement ps;

        private Writer(Connection c) throws SQLException {
            this.c = c;
            this.ps = c.prepareStatement("WITH u AS (UPDATE " + table + " SET fence = ?, writes = writes + 1"
                    + " WHERE name = ? AND fence < ? RETURNING name)"
                    + " INSERT INTO " + table + "_log (name, token, worker) SELECT name, ?, ? FROM u");
        }

        /** @return whether the ledger accepted the write (false: a larger token was written before) */
        boolean write(String name, long token, String worker) throws SQLException {
            ps.setLong(1, token);
            ps.setString(2, name);
            ps.setLong(3, token);
            ps.setLong(4, token);
            ps.setString(5, worker);
            return ps.executeUpdate() == 1;
        }

        @Override
        public void close() {
            try {
                c.close();
            } catch (SQLException e) {
                // closing
            }
        }
    }
}
