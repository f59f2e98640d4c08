package dev.holdfast.lock.jdbc.rows;

import static java.util.Objects.requireNonNull;

import dev.holdfast.lock.LockBackendException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import javax.sql.DataSource;

/**
 * Optimistic updates guarded by a version column: one statement
 * {@code UPDATE t SET c1 = ?, ..., version = version + 1 WHERE key = ? AND version = ?}, and only when it
 * changes no row, one read of the key to tell STALE (someone else changed the row since you read
 * {@code expectedVersion}) from GONE (the row was deleted).
 *
 * <pre>{@code
 * VersionedUpdate docs = VersionedUpdate.builder(dataSource, "document", "id", "version").build();
 * VersionedUpdate.Result r = docs.update(docId, readVersion, Map.of("title", newTitle));
 * switch (r.outcome()) {
 *     case UPDATED -> show(r.version().getAsLong());   // the new version
 *     case STALE   -> reloadAndRetry();                // r.version() is the version now stored
 *     case GONE    -> tellTheUserItWasDeleted();
 * }
 * }</pre>
 *
 * <p>Runs in the Spring transaction bound to the thread for the data source if there is one (auto-commit
 * otherwise), or in the transaction of a connection passed in. The version column must be a non-null integer.
 * Thread-safe. Column names are validated and quoted; values and keys are bound parameters.
 */
public final class VersionedUpdate {

    /** What an {@link #update} did. */
    public enum Outcome {
        /** The row had the expected version; it is updated and its version incremented. */
        UPDATED,
        /** The row exists with another version: someone else changed it. Nothing was written. */
        STALE,
        /** No row has this key (any more). Nothing was written. */
        GONE
    }

    /**
     * The outcome of an {@link #update}.
     *
     * @param outcome UPDATED, STALE or GONE
     * @param version UPDATED: the new version; STALE: the version now stored; GONE: empty
     */
    public record Result(Outcome outcome, OptionalLong version) {

        public Result {
            requireNonNull(outcome, "outcome");
            requireNonNull(version, "version");
        }

        /** Whether the row was updated. */
        public boolean updated() {
            return outcome == Outcome.UPDATED;
        }
    }

    private final Tx tx;
    private final String table;
    private final String keyColumn;
    private final String versionColumn;

    private VersionedUpdate(DataSource dataSource, String table, String keyColumn, String versionColumn) {
        this.tx = new Tx(requireNonNull(dataSource, "dataSource"));
        this.table = RowDialect.checkIdentifier("table", table);
        this.keyColumn = RowDialect.checkColumn("keyColumn", keyColumn);
        this.versionColumn = RowDialect.checkColumn("versionColumn", versionColumn);
    }

    /**
     * A builder for versioned updates of {@code table}, rows found by {@code keyColumn}, guarded by the integer
     * {@code versionColumn}.
     *
     * @throws IllegalArgumentException if a name is not a plain SQL identifier
     */
    public static Builder builder(DataSource dataSource, String table, String keyColumn, String versionColumn) {
        return new Builder(dataSource, table, keyColumn, versionColumn);
    }

    /**
     * Sets {@code values} (column name to value) on the row with {@code key} if its version is still
     * {@code expectedVersion}, and increments the version.
     *
     * @throws IllegalArgumentException if {@code values} is empty, names a non-identifier, the key or the version column
     * @throws LockBackendException     if a statement fails
     */
    public Result update(Object key, long expectedVersion, Map<String, ?> values) {
        List<String> columns = checkValues(key, values);
        try {
            return tx.statement((c, joined) -> apply(c, key, expectedVersion, columns, values));
        } catch (SQLException e) {
            throw failure(key, e);
        }
    }

    /** Like {@link #update(Object, long, Map)}, on the caller's connection (in its transaction, if any). */
    public Result update(Connection connection, Object key, long expectedVersion, Map<String, ?> values) {
        requireNonNull(connection, "connection");
        List<String> columns = checkValues(key, values);
        try {
            return apply(connection, key, expectedVersion, columns, values);
        } catch (SQLException e) {
            throw failure(key, e);
        }
    }

    private List<String> checkValues(Object key, Map<String, ?> values) {
        requireNonNull(key, "key");
        requireNonNull(values, "values");
        if (values.isEmpty()) {
            throw new IllegalArgumentException("values must name at least one column to set");
        }
        List<String> columns = new ArrayList<>(new LinkedHashMap<>(values).keySet());
        for (String col : columns) {
            RowDialect.checkColumn("column", col);
            if (col.equalsIgnoreCase(versionColumn) || col.equalsIgnoreCase(keyColumn)) {
                throw new IllegalArgumentException("values must not set the key or version column '" + col + "'");
            }
        }
        return columns;
    }

    private Result apply(Connection c, Object key, long expectedVersion, List<String> columns, Map<String, ?> values)
            throws SQLException {
        RowDialect d = tx.dialect(c);
        String version = d.quote(versionColumn);
        StringBuilder sql = new StringBuilder("UPDATE ").append(d.quote(table)).append(" SET ");
        List<Object> args = new ArrayList<>();
        for (String col : columns) {
            sql.append(d.quote(col)).append(" = ?, ");
            args.add(values.get(col));
        }
        sql.append(version).append(" = ").append(version).append(" + 1 WHERE ").append(d.quote(keyColumn))
                .append(" = ? AND ").append(version).append(" = ?");
        args.add(key);
        args.add(expectedVersion);
        if (Tx.update(c, sql.toString(), args) > 0) {
            return new Result(Outcome.UPDATED, OptionalLong.of(expectedVersion + 1));
        }
        String read = "SELECT " + version + " FROM " + d.quote(table) + " WHERE " + d.quote(keyColumn) + " = ?";
        try (PreparedStatement ps = c.prepareStatement(read)) {
            ps.setObject(1, key);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? new Result(Outcome.STALE, OptionalLong.of(rs.getLong(1))) : new Result(Outcome.GONE, OptionalLong.empty());
            }
        }
    }

    private LockBackendException failure(Object key, SQLException e) {
        return new LockBackendException(table + "#" + key, tx.dialect().name(), "versioned update failed", e);
    }

    @Override
    public String toString() {
        return "VersionedUpdate[" + table + "." + keyColumn + ", version " + versionColumn + "]";
    }

    /** Configures a {@link VersionedUpdate}. */
    public static final class Builder {
        private final DataSource dataSource;
        private final String table;
        private final String keyColumn;
        private final String versionColumn;

        private Builder(DataSource dataSource, String table, String keyColumn, String versionColumn) {
            this.dataSource = requireNonNull(dataSource, "dataSource");
            this.table = RowDialect.checkIdentifier("table", table);
            this.keyColumn = RowDialect.checkColumn("keyColumn", keyColumn);
            this.versionColumn = RowDialect.checkColumn("versionColumn", versionColumn);
        }

        /** The versioned update. The dialect is detected on first use. */
        public VersionedUpdate build() {
            return new VersionedUpdate(dataSource, table, keyColumn, versionColumn);
        }
    }
}
