package dev.holdfast.lock.jdbc;

import dev.holdfast.lock.LockBackendException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;

/**
 * The schema files shipped under {@code dev/holdfast/lock/jdbc/schema/} (also for Flyway/Liquibase users), and
 * the build-time check that what a provider needs is there (created first when the builder says so).
 */
final class Schema {

    /** Where the schema files are in the jar. */
    static final String RESOURCE_DIR = "dev/holdfast/lock/jdbc/schema/";

    private Schema() {
    }

    /**
     * A database object a provider needs.
     *
     * @param kind "table" or "sequence"
     * @param name the configured (validated) name
     * @param file the schema file under {@link #RESOURCE_DIR} that creates it
     * @param defaultName the object's name in that file
     */
    record Need(String kind, String name, String file, String defaultName) {
        String ddl() {
            return load(file, defaultName, name);
        }
    }

    /**
     * Makes sure {@code need} exists, at build time: creates it first if {@code create} (statements are
     * {@code IF NOT EXISTS}), then reads it once.
     *
     * @throws LockBackendException  if the database cannot be reached, or creating the object failed
     * @throws IllegalStateException if the object is missing (or unreadable) and {@code create} is off; the
     *                               message names the object, the option and the DDL file
     */
    static void ensure(DataSource dataSource, String backend, boolean create, Need need) {
        try (Connection c = connect(dataSource, backend, "the " + need.kind() + " '" + need.name() + "'")) {
            ensure(c, backend, create, need);
        } catch (SQLException e) {
            throw new LockBackendException(null, backend, "schema check of the " + need.kind() + " '" + need.name()
                    + "' failed", e);
        }
    }

    /** Opens a connection for a build-time check, with a message that says the database is unreachable. */
    static Connection connect(DataSource dataSource, String backend, String what) {
        try {
            return Jdbc.autoCommitConnection(dataSource);
        } catch (SQLException e) {
            throw new LockBackendException(null, backend, "the database is unreachable: cannot open a connection "
                    + "to check (or create) " + what + " the provider needs, at build time", e);
        }
    }

    /** {@link #ensure(DataSource, String, boolean, Need)} on an open connection (auto-commit). */
    static void ensure(Connection c, String backend, boolean create, Need need) throws SQLException {
        SQLException createFailure = null;
        if (create) {
            try (Statement s = c.createStatement()) {
                s.execute(need.ddl());
            } catch (SQLException e) {
                if (Jdbc.isConnectionError(c, e)) {
                    throw e;
                }
                createFailure = e; // maybe another process created it at the same moment: the probe tells
            }
        }
        try (Statement s = c.createStatement()) {
            s.executeQuery("SELECT 1 FROM " + need.name() + " WHERE 1 = 0").close();
        } catch (SQLException e) {
            if (Jdbc.isConnectionError(c, e)) {
                throw e;
            }
            if (createFailure != null) {
                createFailure.addSuppressed(e);
                throw new LockBackendException(null, backend, "cannot create the " + need.kind() + " '" + need.name()
                        + "' (DDL: " + RESOURCE_DIR + need.file() + " in the holdfast lock-jdbc jar)", createFailure);
            }
            throw new IllegalStateException(missing(backend, need) + " (" + e.getMessage() + ")", e);
        }
    }

    /** The build-time message for a missing object. */
    static String missing(String backend, Need need) {
        return backend + ": the " + need.kind() + " '" + need.name() + "' does not exist (or cannot be read). "
                + "Build with createIfMissing(true) (the default) to create it, or create it yourself with "
                + RESOURCE_DIR + need.file() + " from the holdfast lock-jdbc jar";
    }

    /** Reads {@code file}, with the default object name replaced by the configured (validated) one. */
    static String load(String file, String defaultName, String name) {
        try (InputStream in = Schema.class.getResourceAsStream("schema/" + file)) {
            if (in == null) {
                throw new IllegalStateException("schema file missing from the jar: " + file);
            }
            String sql = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            StringBuilder out = new StringBuilder();
            for (String line : sql.split("\n")) {
                if (!line.startsWith("--")) {
                    out.append(line).append('\n');
                }
            }
            return out.toString().trim().replaceAll(";$", "").replace(defaultName, name);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read schema file " + file, e);
        }
    }
}
