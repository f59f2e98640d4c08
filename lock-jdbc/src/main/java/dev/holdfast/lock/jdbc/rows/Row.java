package dev.holdfast.lock.jdbc.rows;

import static java.util.Objects.requireNonNull;

import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One row as read by a row pattern: its column values by column label (lower case as given by the query's
 * metadata on PostgreSQL; as declared on MySQL/MariaDB — lookups ignore case). Immutable; the values are
 * what the driver's {@code getObject} returned.
 */
public final class Row {

    private final Map<String, @Nullable Object> values;

    private Row(Map<String, @Nullable Object> values) {
        this.values = values;
    }

    static Row read(ResultSet rs) throws SQLException {
        ResultSetMetaData md = rs.getMetaData();
        Map<String, @Nullable Object> values = new LinkedHashMap<>();
        for (int i = 1; i <= md.getColumnCount(); i++) {
            values.put(md.getColumnLabel(i).toLowerCase(java.util.Locale.ROOT), rs.getObject(i));
        }
        return new Row(Collections.unmodifiableMap(values));
    }

    /**
     * The value of {@code column}, or null if it is SQL NULL.
     *
     * @throws IllegalArgumentException if the row has no such column
     */
    public @Nullable Object get(String column) {
        String name = requireNonNull(column, "column").toLowerCase(java.util.Locale.ROOT);
        if (!values.containsKey(name)) {
            throw new IllegalArgumentException("no column '" + column + "' in this row; columns: " + values.keySet());
        }
        return values.get(name);
    }

    /** The value of {@code column} as a string ({@code toString()} of the value), or null. */
    public @Nullable String getString(String column) {
        Object v = get(column);
        return v == null ? null : v.toString();
    }

    /**
     * The value of a numeric {@code column} as a long.
     *
     * @throws IllegalStateException if the value is NULL or not a number
     */
    public long getLong(String column) {
        Object v = get(column);
        if (v instanceof Number n) {
            return n.longValue();
        }
        throw new IllegalStateException("column '" + column + "' is not a number: " + v);
    }

    /** The column values by lower-case column label, in query order. */
    public Map<String, @Nullable Object> values() {
        return values;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Row r && r.values.equals(values);
    }

    @Override
    public int hashCode() {
        return values.hashCode();
    }

    @Override
    public String toString() {
        return "Row" + values;
    }
}
