/**
 * Locks in a relational database, with nothing else to deploy.
 *
 * <ul>
 *   <li>{@link dev.holdfast.lock.jdbc.JdbcTableLockProvider} — leases as rows of a {@code holdfast_lock}
 *       table (PostgreSQL, MySQL 8, MariaDB 10.6+, H2), expiring by the database clock; survives
 *       reconnects and database restarts.</li>
 *   <li>{@link dev.holdfast.lock.jdbc.PostgresAdvisoryLockProvider} — PostgreSQL session-level advisory
 *       locks on one dedicated connection; the fastest option, but a lock lives as long as that
 *       connection.</li>
 *   <li>{@link dev.holdfast.lock.jdbc.MysqlLockProvider} — MySQL/MariaDB {@code GET_LOCK}, same shape.</li>
 *   <li>{@link dev.holdfast.lock.jdbc.PostgresTransactionLocks} — transaction-scoped advisory locks
 *       that join the caller's transaction and end with it.</li>
 * </ul>
 *
 * <p>Row locks, claim queues, idempotency keys and versioned updates — patterns that make "once" hold
 * without a named lock — are in {@link dev.holdfast.lock.jdbc.rows}.
 *
 * <p>The providers never join the caller's transaction: they take their own connections from the
 * {@code DataSource} (not through Spring's transaction synchronization), so a caller's rollback neither
 * releases nor keeps a lock. Lock names only ever reach SQL as bound parameters.
 *
 * <p>Every builder here takes {@code createIfMissing(boolean)} (default {@code true}): {@code build()} creates the
 * table or sequence the provider needs if it is missing, or with the option off checks that it exists, and fails
 * at once (naming the object, the option and the schema file under {@code dev/holdfast/lock/jdbc/schema/}) if
 * not, or if the database cannot be reached — never at the first lock.
 */
@NullMarked
package dev.holdfast.lock.jdbc;

import org.jspecify.annotations.NullMarked;
