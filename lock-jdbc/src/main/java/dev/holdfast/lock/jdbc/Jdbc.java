package dev.holdfast.lock.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
import org.springframework.jdbc.datasource.TransactionAwareDataSourceProxy;

/** Small JDBC rules the providers of this package share. */
final class Jdbc {

    static final Executor DIRECT = Runnable::run;
    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,62}(\\.[A-Za-z_][A-Za-z0-9_]{0,62})?");

    private Jdbc() {
    }

    /**
     * The data source to take the providers' own connections from: a {@link TransactionAwareDataSourceProxy}
     * would hand out the caller's transactional connection, so its target is used instead.
     */
    static DataSource ownConnections(DataSource dataSource) {
        DataSource ds = dataSource;
        while (ds instanceof TransactionAwareDataSourceProxy proxy && proxy.getTargetDataSource() != null) {
            ds = proxy.getTargetDataSource();
        }
        return ds;
    }

    /** Checks a builder's timeout: not null, at least a millisecond (JDBC timeouts are in ms). */
    static Duration atLeastOneMilli(String what, Duration value) {
        Objects.requireNonNull(value, what);
        if (value.toMillis() < 1) {
            throw new IllegalArgumentException(what + " must be at least 1 ms, was " + value);
        }
        return value;
    }

    /** Checks a table or sequence name from configuration (it is written into SQL, so only plain identifiers). */
    /** The advisory-lock namespace mixed into every key's hash: not null, at most 200 characters. */
    static String namespace(String namespace) {
        java.util.Objects.requireNonNull(namespace, "namespace");
        if (namespace.length() > 200) {
            throw new IllegalArgumentException("namespace must be at most 200 characters, was " + namespace.length());
        }
        return namespace;
    }

    static String identifier(String what, String value) {
        if (value == null || !IDENTIFIER.matcher(value).matches()) {
            throw new IllegalArgumentException(what + " must be a plain SQL identifier ([A-Za-z_][A-Za-z0-9_]*, "
                    + "optionally schema-qualified), was '" + value + "'");
        }
        return value;
    }

    /** Whether {@code e} means the connection itself is gone (as opposed to a failed statement). */
    static boolean isConnectionError(@Nullable Connection c, SQLException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql) {
                String state = sql.getSQLState();
                if (state != null && (state.startsWith("08") || state.startsWith("57P"))) {
                    return true; // connection exceptions; PostgreSQL admin shutdown, terminated session
                }
                int code = sql.getErrorCode();
                if (code == 1927 || code == 2006 || code == 2013) {
                    return true; // MariaDB/MySQL: connection killed, server gone, lost connection
                }
                if (code == 90121 || code == 90067 || code == 90098 || code == 90007) {
                    return true; // H2: session or database closed, connection broken, object (connection) closed
                }
                if (sql instanceof java.sql.SQLRecoverableException || sql instanceof java.sql.SQLNonTransientConnectionException) {
                    return true;
                }
            }
        }
        try {
            return c != null && c.isClosed();
        } catch (SQLException ignored) {
            return true;
        }
    }

    /** Whether {@code e} came from an interrupt (a pool interrupted while waiting for a free connection). */
    static boolean isInterruption(SQLException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof InterruptedException || t instanceof java.io.InterruptedIOException
                    && !(t instanceof java.net.SocketTimeoutException)) {
                return true;
            }
        }
        return Thread.currentThread().isInterrupted();
    }

    /** The exception for an interrupt that {@code e} reports (the interrupt flag is set again by the caller). */
    static dev.holdfast.lock.LockInterruptedException interrupted(String lockName, SQLException e) {
        InterruptedException cause = new InterruptedException("interrupted while waiting for a database connection");
        cause.initCause(e);
        return new dev.holdfast.lock.LockInterruptedException(lockName, cause);
    }

    /** Gets a connection in auto-commit mode (the providers commit each statement on its own). */
    static Connection autoCommitConnection(DataSource dataSource) throws SQLException {
        Connection c = dataSource.getConnection();
        try {
            if (!c.getAutoCommit()) {
                c.setAutoCommit(true);
            }
            return c;
        } catch (SQLException | RuntimeException e) {
            closeQuietly(c);
            throw e;
        }
    }

    /** Drops a broken connection without waiting on it. */
    static void abortQuietly(@Nullable Connection c) {
        if (c == null) {
            return;
        }
        try {
            c.abort(DIRECT);
        } catch (SQLException | RuntimeException ignored) {
            // it is broken already
        }
        closeQuietly(c);
    }

    static void closeQuietly(@Nullable AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception ignored) {
            // nothing more to do
        }
    }
}
