package dev.holdfast.lock.jdbc.rows;

import dev.holdfast.lock.LockBackendException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
import org.springframework.jdbc.datasource.DataSourceUtils;
import org.springframework.jdbc.datasource.TransactionAwareDataSourceProxy;

/**
 * Where the row patterns run their statements: the caller's transaction (Spring-managed, or a connection
 * passed in) or one opened here, committed when the work returns and rolled back when it throws.
 */
final class Tx {

    /** Work on a connection inside a transaction. */
    @FunctionalInterface
    interface Body<T> {
        T run(Connection c, boolean joined) throws SQLException;
    }

    /** Thrown by a body to roll back a transaction this class opened, handing {@code value} back. */
    static final class RollbackWith extends RuntimeException {
        final Object value;

        RollbackWith(Object value) {
            super(null, null, false, false);
            this.value = value;
        }
    }

    private final DataSource dataSource;
    private final AtomicReference<@Nullable RowDialect> dialect = new AtomicReference<>();

    Tx(DataSource dataSource) {
        this.dataSource = transactionTarget(dataSource);
    }

    /**
     * The data source Spring binds transactions to: a {@link TransactionAwareDataSourceProxy}'s target (as
     * {@code DataSourceTransactionManager} does), so that joining is detected on the proxy too and the
     * pattern's own short transactions never commit a caller's transactional connection.
     */
    private static DataSource transactionTarget(DataSource dataSource) {
        DataSource ds = dataSource;
        while (ds instanceof TransactionAwareDataSourceProxy proxy && proxy.getTargetDataSource() != null) {
            ds = proxy.getTargetDataSource();
        }
        return ds;
    }

    DataSource dataSource() {
        return dataSource;
    }

    RowDialect dialect(Connection c) throws SQLException {
        RowDialect d = dialect.get();
        if (d == null) {
            d = RowDialect.of(c);
            dialect.set(d);
        }
        return d;
    }

    /** The dialect, detected on a connection of the data source if not known yet. */
    RowDialect dialect() {
        RowDialect d = dialect.get();
        if (d != null) {
            return d;
        }
        try (Connection c = dataSource.getConnection()) {
            return dialect(c);
        } catch (SQLException e) {
            throw new LockBackendException(null, "jdbc", "cannot read the database's metadata", e);
        }
    }

    /** Runs {@code body} in the Spring transaction bound to this thread, or in a new one. */
    @SuppressWarnings("unchecked")
    <T> T inTransaction(Body<T> body) throws SQLException {
        Connection c = DataSourceUtils.getConnection(dataSource);
        try {
            if (DataSourceUtils.isConnectionTransactional(c, dataSource)) {
                return body.run(c, true);
            }
            boolean autoCommit = c.getAutoCommit();
            if (autoCommit) {
                c.setAutoCommit(false);
            }
            try {
                T result = body.run(c, false);
                c.commit();
                return result;
            } catch (RollbackWith r) {
                c.rollback();
                return (T) r.value;
            } catch (SQLException | RuntimeException | Error e) {
                try {
                    c.rollback();
                } catch (SQLException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            } finally {
                if (autoCommit) {
                    try {
                        c.setAutoCommit(true);
                    } catch (SQLException ignored) {
                        // the pool resets or evicts it
                    }
                }
            }
        } finally {
            DataSourceUtils.releaseConnection(c, dataSource);
        }
    }

    /** Runs {@code body} on the caller's connection, which must be in a transaction. */
    @SuppressWarnings("unchecked")
    static <T> T joined(Connection c, Body<T> body) throws SQLException {
        if (c.getAutoCommit()) {
            throw new IllegalStateException("the connection is in auto-commit mode: pass one with a transaction open "
                    + "(setAutoCommit(false)), or use the variant that takes no connection");
        }
        try {
            return body.run(c, true);
        } catch (RollbackWith r) {
            return (T) r.value;
        }
    }

    /** Runs a single statement (auto-commit, or in the Spring transaction bound to this thread). */
    <T> T statement(Body<T> body) throws SQLException {
        Connection c = DataSourceUtils.getConnection(dataSource);
        try {
            return body.run(c, DataSourceUtils.isConnectionTransactional(c, dataSource));
        } finally {
            DataSourceUtils.releaseConnection(c, dataSource);
        }
    }

    static int update(Connection c, String sql, List<?> args) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            bind(ps, args);
            return ps.executeUpdate();
        }
    }

    static void bind(PreparedStatement ps, List<?> args) throws SQLException {
        for (int i = 0; i < args.size(); i++) {
            ps.setObject(i + 1, args.get(i));
        }
    }

    static String placeholders(int n) {
        StringBuilder sb = new StringBuilder(n * 3);
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "?" : ", ?");
        }
        return sb.toString();
    }

    static void execute(Connection c, String[] sqls) throws SQLException {
        for (String sql : sqls) {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                ps.execute();
            }
        }
    }
}
