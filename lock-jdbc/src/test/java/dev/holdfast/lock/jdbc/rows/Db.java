package dev.holdfast.lock.jdbc.rows;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.holdfast.lock.testkit.fixtures.JdbcSettings;
import dev.holdfast.lock.testkit.fixtures.MariaDbFixture;
import dev.holdfast.lock.testkit.fixtures.PostgresFixture;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/** The two real databases the row-pattern tests run on, with the little DDL that differs. */
enum Db {
    POSTGRES, MARIADB;

    JdbcSettings settings() {
        return this == POSTGRES ? PostgresFixture.settings() : MariaDbFixture.settings();
    }

    HikariDataSource pool(String name, int size) {
        return pool(settings().url(), settings().user(), settings().password(), name, size);
    }

    static HikariDataSource pool(String url, String user, String password, String name, int size) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setUsername(user);
        config.setPassword(password);
        config.setPoolName(name);
        config.setMaximumPoolSize(size);
        config.setMinimumIdle(0);
        config.setConnectionTimeout(20_000);
        if (url.startsWith("jdbc:postgresql:")) {
            config.addDataSourceProperty("ApplicationName", name);
        }
        return new HikariDataSource(config);
    }

    /** A table name unique to this run. */
    static String unique(String prefix) {
        byte[] b = new byte[5];
        ThreadLocalRandom.current().nextBytes(b);
        return prefix + "_" + HexFormat.of().formatHex(b);
    }

    String timestamp() {
        return this == POSTGRES ? "TIMESTAMPTZ" : "DATETIME(6)";
    }

    void exec(String... sql) {
        try (Connection c = settings().connect(); Statement s = c.createStatement()) {
            for (String q : sql) {
                s.execute(q);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    long count(String sql) {
        try (Connection c = settings().connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    void drop(String... tables) {
        for (String t : tables) {
            exec("DROP TABLE IF EXISTS " + t);
        }
    }

    /** A queue table with {@code rows} pending rows (ids 1..rows). */
    void createQueue(String table, int rows) {
        exec("CREATE TABLE " + table + " (id BIGINT PRIMARY KEY, status VARCHAR(16) NOT NULL, payload VARCHAR(64),"
                + " claimed_by VARCHAR(100), claimed_at " + timestamp() + ")",
                "CREATE INDEX " + table + "_status ON " + table + " (status)");
        if (this == POSTGRES) {
            exec("INSERT INTO " + table + " SELECT g, 'PENDING', 'job ' || g FROM generate_series(1, " + rows + ") g");
        } else {
            exec("INSERT INTO " + table + " (id, status, payload) SELECT seq, 'PENDING', CONCAT('job ', seq) FROM seq_1_to_" + rows);
        }
    }

    /** A table of processed ids with no key, so a duplicate would show. */
    void createProcessed(String table) {
        exec("CREATE TABLE " + table + " (id BIGINT NOT NULL, worker VARCHAR(40) NOT NULL)");
    }
}
