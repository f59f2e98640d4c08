package dev.holdfast.lock.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import org.jspecify.annotations.Nullable;

/** The statements of a session-scoped lock backend (PostgreSQL advisory locks, MySQL GET_LOCK). */
interface SessionSql {

    /** Prepares a new dedicated connection (tags it for operators). */
    void onConnect(Connection c) throws SQLException;

    /** Takes {@code key} without waiting and draws a fencing token, in one round trip; null if busy. */
    @Nullable Long tryLock(Connection c, Object key) throws SQLException;

    /** Frees {@code key} (and tells waiters of {@code name}, where the database can notify). */
    void unlock(Connection c, Object key, String name) throws SQLException;

    /** Frees every lock of the session, before the connection goes back to its pool. */
    void unlockAll(Connection c) throws SQLException;

    /** The cheapest round trip that proves the session is alive. */
    default void ping(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("SELECT 1");
        }
    }
}
