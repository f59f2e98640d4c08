package dev.holdfast.lock.jdbc;

import dev.holdfast.lock.LockProvider;
import dev.holdfast.lock.testkit.Faults;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;

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
        return create(0);
    }

    /** Like {@link #create()}, built with {@code tokensAbove(tokensAbove)}. */
    LockProvider create(long tokensAbove) {
        Set<Long> ids = ConcurrentHashMap.newKeySet();
        LockProvider p = JdbcTableLockProvider.builder(db.pool("holdfast-table-test", 4, ids))
                .tableName(table).createIfMissing(true).tokensAbove(tokensAbove).build();
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

    /**
     * PostgreSQL and MariaDB: every send of the provider's next acquire statement runs and commits on the server,
     * then its connection is cut before the reply is read (the provider's own retries included, so the acquire
     * ends without a lease and must undo what the server did). H2 here is an in-process database: a statement
     * is a method call in this JVM that either returns or throws, with no reply in flight that could be lost,
     * so the fixture says it cannot (the same provider code is exercised on the networked databases).
     */
    @Override
    public Optional<BooleanSupplier> loseNextAcquireReply(LockProvider provider) {
        String acquireSql = switch (db.kind) {
            case POSTGRES -> "ON CONFLICT (name) DO UPDATE";
            case MARIADB -> "ON DUPLICATE KEY UPDATE";
            case H2 -> null;
        };
        if (acquireSql == null) {
            return Optional.empty();
        }
        Set<Long> ids = sessions.get(provider);
        if (ids == null) {
            throw new IllegalArgumentException("not a provider of this fixture: " + provider);
        }
        IntSupplier lost = db.failNext(ids, acquireSql, TestDb.FaultAction.REPLY_LOST, SENDS_PER_ACQUIRE);
        return Optional.of(() -> lost.getAsInt() > 0);
    }

    /** How many times one tryAcquire of the table lease sends its statement when every reply is lost. */
    static final int SENDS_PER_ACQUIRE = 3;

    @Override
    public void restartBackend() {
        db.killAll();
    }
}
