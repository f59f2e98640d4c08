package dev.holdfast.lock.jdbc.rows;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;

/** Writes the "work" of the queue tests: one row per processed id into an independent table. */
final class Processed {

    private Processed() {
    }

    static void record(Connection c, String table, List<Row> rows, String worker) throws SQLException {
        if (rows.isEmpty()) {
            return;
        }
        StringBuilder sql = new StringBuilder("INSERT INTO " + table + " (id, worker) VALUES ");
        for (int i = 0; i < rows.size(); i++) {
            sql.append(i == 0 ? "(?, ?)" : ", (?, ?)");
        }
        try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
            int p = 1;
            for (Row r : rows) {
                ps.setLong(p++, r.getLong("id"));
                ps.setString(p++, worker);
            }
            ps.executeUpdate();
        }
    }
}
