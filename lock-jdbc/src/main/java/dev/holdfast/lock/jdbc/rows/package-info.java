/**
 * Database patterns that make "once" hold without a named lock, on PostgreSQL and MySQL 8 / MariaDB 10.6+.
 *
 * <ul>
 *   <li>{@link dev.holdfast.lock.jdbc.rows.RowLock} — run work on one row selected {@code FOR UPDATE}
 *       (wait with a timeout, {@code NOWAIT} or {@code SKIP LOCKED}); busy is a typed result.</li>
 *   <li>{@link dev.holdfast.lock.jdbc.rows.ClaimQueue} — workers claim batches of pending rows of your own
 *       table exactly once, heartbeat, complete or release them; a dead worker's claims are reclaimed after
 *       a timeout measured by the database clock.</li>
 *   <li>{@link dev.holdfast.lock.jdbc.rows.Once} — idempotency keys: the work and its key commit in one
 *       transaction; a repeated run returns the first run's stored result.</li>
 *   <li>{@link dev.holdfast.lock.jdbc.rows.VersionedUpdate} — optimistic updates that tell UPDATED, STALE
 *       and GONE apart.</li>
 * </ul>
 *
 * <p><b>Transactions.</b> {@code RowLock}, {@code Once} and {@code VersionedUpdate} join the caller's
 * transaction: the Spring-managed one bound to the thread for the {@code DataSource} (through
 * {@code DataSourceUtils}), or the one of a {@code Connection} passed in (auto-commit off). Without one, they
 * open a transaction on a connection of the data source, commit it when the work returns and roll it back
 * when the work throws. {@code ClaimQueue} claims, heartbeats and releases in short transactions of its own;
 * {@link dev.holdfast.lock.jdbc.rows.ClaimQueue#process} runs your work and the completion in one.
 * Run these patterns at READ COMMITTED (the default of PostgreSQL; set it on MariaDB/MySQL pools where you
 * can): their statements are written for it.
 *
 * <p><b>Identifiers and values.</b> Every configured table or column name is checked against
 * {@code [A-Za-z_][A-Za-z0-9_]*} (optionally {@code schema.table}) when the pattern is built and is written
 * quoted for the database ({@code "name"} on PostgreSQL, folded to lower case as PostgreSQL reads unquoted
 * names; {@code `name`} on MySQL/MariaDB), so reserved words work as names; every value is a bound parameter. The dialect is detected from the connection's metadata on first use.
 */
@NullMarked
package dev.holdfast.lock.jdbc.rows;

import org.jspecify.annotations.NullMarked;
