package dev.holdfast.lock.jdbc.rows;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The SQL of the row patterns in one database's dialect: identifier quoting, lock clauses, the "lock not
 * available" errors, the database clock, and the statements whose shape differs per database. One subclass
 * per database; the patterns build their statements from these pieces once, with validated identifiers.
 */
abstract class RowDialect {

    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,62}(\\.[A-Za-z_][A-Za-z0-9_]{0,62})?");

    /** How a row lock waits for another transaction's lock. */
    enum LockMode { WAIT, NOWAIT, SKIP_LOCKED }

    /** The dialect of the database behind {@code c}, from its metadata. */
    static RowDialect of(Connection c) throws SQLException {
        String product = c.getMetaData().getDatabaseProductName().toLowerCase(Locale.ROOT);
        String version = c.getMetaData().getDatabaseProductVersion().toLowerCase(Locale.ROOT);
        if (product.contains("postgres")) {
            return PostgresRowDialect.INSTANCE;
        }
        if (product.contains("mariadb") || version.contains("mariadb")) {
            return MariaDbRowDialect.INSTANCE;
        }
        if (product.contains("mysql")) {
            return MysqlRowDialect.INSTANCE;
        }
        throw new IllegalStateException("the row patterns support PostgreSQL, MySQL 8 and MariaDB 10.6+, not " + product);
    }

    /** Checks a configured table or column name (it is written into SQL, so only plain identifiers). */
    static String checkIdentifier(String what, String value) {
        if (value == null || !IDENTIFIER.matcher(value).matches()) {
            throw new IllegalArgumentException(what + " must be a plain SQL identifier ([A-Za-z_][A-Za-z0-9_]*, "
                    + "optionally schema-qualified), was '" + value + "'");
        }
        return value;
    }

    /** Checks a configured column name (a plain identifier, not qualified). */
    static String checkColumn(String what, String value) {
        checkIdentifier(what, value);
        if (value.indexOf('.') >= 0) {
            throw new IllegalArgumentException(what + " must be a column name without a qualifier, was '" + value + "'");
        }
        return value;
    }

    /**
     * A checked identifier, quoted (each part of a schema-qualified name on its own) and named as the database
     * would read it unquoted: on PostgreSQL folded to lower case, so {@code "Invoice"} finds a table created as
     * {@code CREATE TABLE Invoice}. Quoting keeps reserved words ({@code order}, {@code user}) usable.
     */
    final String quote(String identifier) {
        checkIdentifier("identifier", identifier);
        StringBuilder out = new StringBuilder();
        for (String part : identifier.split("\\.")) {
            if (!out.isEmpty()) {
                out.append('.');
            }
            out.append(quoteChar()).append(unquotedName(part)).append(quoteChar());
        }
        return out.toString();
    }

    /** The name the database gives an unquoted identifier (PostgreSQL folds to lower case). */
    String unquotedName(String identifier) {
        return identifier;
    }

    abstract char quoteChar();

    /** The backend name for exceptions. */
    abstract String name();

    /** The current time by the database clock (UTC on MySQL/MariaDB). */
    abstract String now();

    /** {@code now()} minus a bound number of microseconds (one parameter). */
    abstract String nowMinusMicros();

    /** {@code now()} plus a bound number of microseconds (one parameter). */
    abstract String nowPlusMicros();

    /** The locking clause after a SELECT; {@code wait} is used by {@link LockMode#WAIT} where the syntax has it. */
    abstract String lockClause(LockMode mode, Duration wait);

    /**
     * Statements to run before a {@link LockMode#WAIT} select that bound its wait (setting the
     * {@code timeoutMillis}); empty when the lock clause carries the timeout.
     */
    String[] beforeWait(long timeoutMillis) {
        return new String[0];
    }

    /** Statements to run after a {@link LockMode#WAIT} select (to restore what {@link #beforeWait} set). */
    String[] afterWait() {
        return new String[0];
    }

    /** Whether a failed statement aborts the whole transaction (PostgreSQL), so a busy lock needs a savepoint. */
    abstract boolean errorAbortsTransaction();

    /** Whether {@code e} means "the row is locked by another transaction" (timeout or NOWAIT). */
    abstract boolean isLockNotAvailable(SQLException e);

    /** Whether the claim queue claims with one {@code UPDATE ... RETURNING} (else select-lock-update in a transaction). */
    abstract boolean claimsInOneStatement();

    /** {@code INSERT} that does nothing (no error, 0 rows) when the key exists; waits for an uncommitted twin. */
    abstract String insertIfAbsent(String table, String columns, String values, String keyColumn);

    /** {@code DELETE} of at most {@code ?} rows matching {@code where} (the limit is the last parameter). */
    abstract String deleteLimited(String table, String keyColumn, String where);

    /** The schema file of the {@code Once} table, under {@code dev/holdfast/lock/jdbc/rows/}. */
    abstract String onceSchemaFile();

    /** The {@code Once} table's DDL with the configured (validated, quoted) table name. */
    final String onceSchema(String quotedTable) {
        String file = onceSchemaFile();
        try (InputStream in = RowDialect.class.getResourceAsStream(file)) {
            if (in == null) {
                throw new IllegalStateException("schema file missing from the jar: " + file);
            }
            StringBuilder out = new StringBuilder();
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (!line.startsWith("--")) {
                    out.append(line).append('\n');
                }
            }
            return out.toString().trim().replaceAll(";$", "").replace("holdfast_once", quotedTable);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read schema file " + file, e);
        }
    }

    /**
     * Whether {@code e} is a deadlock or serialization failure: the database rolled the transaction back and
     * running it again may succeed (SQLSTATE 40001, PostgreSQL 40P01, MySQL/MariaDB 1213).
     */
    static boolean isRetryable(SQLException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql) {
                String state = sql.getSQLState();
                if ("40001".equals(state) || "40P01".equals(state) || sql.getErrorCode() == 1213) {
                    return true;
                }
            }
        }
        return false;
    }

    static long micros(Duration d) {
        return d.toNanos() / 1_000;
    }
}
