package dev.holdfast.lock.jdbc;

import dev.holdfast.lock.LockProvider;
import dev.holdfast.lock.testkit.Faults;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** Faults of the table-lease provider on any of its databases. */
final class TableFaults implements Faults {

    private final TestDb db;
    private final String table;
    final Map<LockProvider, Set<Long>> sessions = new ConcurrentHashMap<>();

    TableFaults(TestDb db, String table) {
        this.db = db;
        this.table = table;
    }

    /** A provider with a pool of its own (like another process). */
    LockProvider create() {
        Set<Long> ids = ConcurrentHashMap.newKeySet();
        LockProvider p = JdbcTableLockProvider.builder(db.pool("holdfast-table-test", 4, ids))
                .tableName(table).createIfMissing(true).build();
        sessions.put(p, ids);
        return p;
    }

    @Override
    public void expire(String name) {
        String past = switch (db.kind) {
            case POSTGRES -> "now() - interval '1 second'";
            case MARIADB -> "UTC_TIMESTAMP(6) - INTERVAL 1 SECOND";
            case H2 -> "DATEADD(SECOND, -1, CURRENT_TIMESTAMP)";
        };
        try (Connection c = db.admin(); PreparedStatement ps = c.prepareStatement(
                "UPDATE " + table + " SET locked_until = " + past + " WHERE name = ?")) {
            ps.setString(1, LockKeys.columnKey(name, TableSql.NAME_COLUMN_LENGTH));
            ps.executeUpdate(); // the row (and its token counter) stays: only the lease ends
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public LockProvider createUnreachableProvider() {
        JdbcTableLockProvider.Dialect dialect = switch (db.kind) {
            case POSTGRES -> JdbcTableLockProvider.Dialect.POSTGRESQL;
            case MARIADB -> JdbcTableLockProvider.Dialect.MARIADB;
            case H2 -> JdbcTableLockProvider.Dialect.H2;
        };
        return db.goesDownAfterBuild(ds -> JdbcTableLockProvider.builder(ds).dialect(dialect).tableName(table).build());
    }

    @Override
    public void cutConnections(LockProvider provider) {
        db.kill(List.copyOf(sessions.getOrDefault(provider, Set.of())));
    }

    @Override
    public void restartBackend() {
        db.killAll();
    }
}
