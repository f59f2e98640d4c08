package dev.holdfast.lock.jdbc.rows;

import static java.util.Objects.requireNonNull;

import dev.holdfast.lock.LockBackendException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * Idempotency keys: runs a unit of work at most once per key, such that the work's writes and the key's row
 * commit in one transaction; a later or concurrent run with the same key does not repeat the work and gets
 * the first run's stored result.
 *
 * <pre>{@code
 * Once<String> once = Once.builder(dataSource, Once.Codec.string()).keepFor(Duration.ofDays(7)).build();
 * Once.Result<String> r = once.run("raffle:batch:" + batchNo, c -> {
 *     insertTickets(c, batchNo);            // write through c: it commits together with the key
 *     return "created 1000";
 * });
 * r.ranNow();   // true for the run that did the work, false for the repeats
 * r.value();    // "created 1000" either way
 * }</pre>
 *
 * <p><b>How.</b> In one transaction: (1) insert the key ({@code INSERT ... ON CONFLICT DO NOTHING} /
 * {@code INSERT IGNORE}); an uncommitted insert of the same key by another run makes this one wait for that
 * run's commit or rollback. (2) If inserted: run the work, store its encoded result in the key's row, commit.
 * (3) If the key was there: read it with a lock ({@code FOR UPDATE}); if it has expired, take it over and run
 * the work as in (2); else return the stored result without running the work. A run whose work throws rolls
 * back (a transaction it opened) and leaves no key, so the next run does the work.
 *
 * <p><b>Transactions.</b> {@link #run(String, Work)} joins the Spring transaction bound to the thread for the
 * data source (the key then commits or rolls back with it), or opens its own. {@link #run(Connection, String,
 * Work)} uses the caller's connection (auto-commit off). Use READ COMMITTED: on PostgreSQL at REPEATABLE READ or
 * above a concurrent twin ends in a serialization failure instead of a wait.
 *
 * <p><b>Expiry.</b> A key is kept for {@link Builder#keepFor(Duration)} (default 7 days) by the database clock;
 * after that a run with the key does the work again. {@link #purgeExpired()} deletes expired keys (call it from
 * a scheduled job). The table ({@code holdfast_once} by default; schema files
 * {@code dev/holdfast/lock/jdbc/rows/<postgresql|mariadb|mysql>-holdfast_once.sql}) is created by
 * {@link Builder#build()} if it is missing ({@link Builder#createIfMissing(boolean)}, default on) or by your
 * migrations; with that option off, the build checks that it exists and fails at once if not. Keys are 1 to 255
 * characters of valid Unicode (no unpaired surrogate, no U+0000: the database could not store them as they are,
 * so two different keys could become one), compared byte for byte. Thread-safe.
 *
 * @param <T> the type of the work's result
 */
public final class Once<T> {

    /** Longest key (the key column's length). */
    public static final int MAX_KEY_LENGTH = 255;

    /** Turns results into the bytes stored with their key and back. */
    public interface Codec<T> {
        /** The bytes to store for {@code value}. */
        byte[] encode(T value);

        /** The value from stored bytes. */
        T decode(byte[] bytes);

        /** Strings as UTF-8. */
        static Codec<String> string() {
            return of(s -> s.getBytes(StandardCharsets.UTF_8), b -> new String(b, StandardCharsets.UTF_8));
        }

        /** Bytes as they are. */
        static Codec<byte[]> bytes() {
            return of(b -> b, b -> b);
        }

        /** A codec from two functions (for example a JSON mapper's write and read). */
        static <T> Codec<T> of(Function<T, byte[]> encode, Function<byte[], T> decode) {
            requireNonNull(encode, "encode");
            requireNonNull(decode, "decode");
            return new Codec<>() {
                @Override
                public byte[] encode(T value) {
                    return encode.apply(value);
                }

                @Override
                public T decode(byte[] bytes) {
                    return decode.apply(bytes);
                }
            };
        }
    }

    /** The work, run in the transaction that also commits its key. */
    @FunctionalInterface
    public interface Work<T> {
        /**
         * @param connection the transaction's connection: write through it; do not commit, roll back or close it
         * @return the result to store with the key (null stores no result)
         */
        @Nullable T run(Connection connection) throws SQLException;
    }

    /**
     * The outcome of a {@link #run}.
     *
     * @param key    the idempotency key
     * @param value  the result of the run that did the work (this one or an earlier one); null if it returned null
     * @param ranNow whether this call ran the work (false: an earlier run did, and its stored result is returned)
     * @param <T>    the result type
     */
    public record Result<T>(String key, @Nullable T value, boolean ranNow) {
        public Result {
            requireNonNull(key, "key");
        }
    }

    private final Tx tx;
    private final Codec<T> codec;
    private final String table;
    private final Duration keepFor;

    private Once(Builder<T> b) {
        this.tx = new Tx(b.dataSource);
        this.codec = b.codec;
        this.table = b.table;
        this.keepFor = b.keepFor;
    }

    /** A builder for idempotency keys stored with {@code codec} on {@code dataSource}. */
    public static <T> Builder<T> builder(DataSource dataSource, Codec<T> codec) {
        return new Builder<>(dataSource, codec);
    }

    /**
     * Runs {@code work} unless a run with {@code key} has committed (and not expired); in the Spring transaction
     * bound to this thread for the data source, or in a transaction of its own.
     *
     * @throws IllegalArgumentException if the key is empty, longer than {@link #MAX_KEY_LENGTH}, or not valid
     *                                  Unicode (an unpaired surrogate) or contains U+0000
     * @throws LockBackendException     if a statement fails (a {@link SQLException} of the work included)
     * @throws RuntimeException         what the work or the codec throws (a transaction opened here is rolled back)
     */
    public Result<T> run(String key, Work<T> work) {
        checkKey(key);
        requireNonNull(work, "work");
        try {
            return tx.inTransaction((c, joined) -> {
                if (!joined) {
                    Result<T> done = peek(c, key);
                    if (done != null) {
                        return done;
                    }
                }
                return once(c, key, work);
            });
        } catch (SQLException e) {
            throw failure(key, e);
        }
    }

    /**
     * Like {@link #run(String, Work)}, in the transaction of {@code connection} (auto-commit off): the key commits
     * or rolls back with the caller's transaction.
     *
     * @throws IllegalStateException if the connection is in auto-commit mode
     */
    public Result<T> run(Connection connection, String key, Work<T> work) {
        requireNonNull(connection, "connection");
        checkKey(key);
        requireNonNull(work, "work");
        try {
            return Tx.joined(connection, (c, joined) -> once(c, key, work));
        } catch (SQLException e) {
            throw failure(key, e);
        }
    }

    /**
     * Deletes expired keys, in batches of at most 10,000 rows per statement (auto-commit).
     *
     * @return how many keys were deleted
     * @throws LockBackendException if a statement fails
     */
    public long purgeExpired() {
        try (Connection c = tx.dataSource().getConnection()) {
            RowDialect d = tx.dialect(c);
            if (!c.getAutoCommit()) {
                c.setAutoCommit(true);
            }
            String sql = d.deleteLimited(d.quote(table), "once_key", "expires_at <= " + d.now());
            long total = 0;
            int n;
            do {
                n = Tx.update(c, sql, List.of(10_000));
                total += n;
            } while (n == 10_000);
            return total;
        } catch (SQLException e) {
            throw failure(null, e);
        }
    }

    private static void checkKey(String key) {
        requireNonNull(key, "key");
        if (key.isEmpty() || key.length() > MAX_KEY_LENGTH) {
            throw new IllegalArgumentException("key must be 1 to " + MAX_KEY_LENGTH + " characters, was " + key.length());
        }
        for (int i = 0; i < key.length(); i++) {
            char ch = key.charAt(i);
            if (ch == 0) {
                throw new IllegalArgumentException("key must not contain U+0000 (the database cannot store it), found at index " + i);
            }
            if (Character.isHighSurrogate(ch) && i + 1 < key.length() && Character.isLowSurrogate(key.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(ch)) {
                // the driver would send it as '?', so "k\uD800" and "k?" would be one key
                throw new IllegalArgumentException(String.format(
                        "key must be valid Unicode, found an unpaired surrogate U+%04X at index %d", (int) ch, i));
            }
        }
    }

    private @Nullable Result<T> peek(Connection c, String key) throws SQLException {
        RowDialect d = tx.dialect(c);
        String sql = "SELECT result FROM " + d.quote(table) + " WHERE once_key = ? AND expires_at > " + d.now();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, key);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? stored(key, rs.getBytes(1)) : null;
            }
        }
    }

    private Result<T> once(Connection c, String key, Work<T> work) throws SQLException {
        RowDialect d = tx.dialect(c);
        String t = d.quote(table);
        long micros = RowDialect.micros(keepFor);
        String insert = d.insertIfAbsent(t, "once_key, created_at, expires_at", "?, " + d.now() + ", " + d.nowPlusMicros(), "once_key");
        String lock = "SELECT result, CASE WHEN expires_at <= " + d.now() + " THEN 1 ELSE 0 END FROM " + t
                + " WHERE once_key = ? FOR UPDATE";
        String takeOver = "UPDATE " + t + " SET result = NULL, created_at = " + d.now() + ", expires_at = " + d.nowPlusMicros()
                + " WHERE once_key = ?";
        for (int attempt = 0; ; attempt++) {
            if (Tx.update(c, insert, List.of(key, micros)) == 1) {
                return runAndStore(c, t, key, work);
            }
            try (PreparedStatement ps = c.prepareStatement(lock)) {
                ps.setString(1, key);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        byte[] bytes = rs.getBytes(1);
                        if (rs.getInt(2) == 0) {
                            return stored(key, bytes);
                        }
                        rs.close();
                        Tx.update(c, takeOver, List.of(micros, key));
                        return runAndStore(c, t, key, work);
                    }
                }
            }
            if (attempt >= 10) {
                throw new SQLException("key '" + key + "' keeps appearing and disappearing (purged while runs race)");
            }
        }
    }

    private Result<T> runAndStore(Connection c, String table, String key, Work<T> work) throws SQLException {
        T value = work.run(c);
        if (value != null) {
            try (PreparedStatement ps = c.prepareStatement("UPDATE " + table + " SET result = ? WHERE once_key = ?")) {
                ps.setBytes(1, codec.encode(value));
                ps.setString(2, key);
                ps.executeUpdate();
            }
        }
        return new Result<>(key, value, true);
    }

    private Result<T> stored(String key, byte @Nullable [] bytes) {
        return new Result<>(key, bytes == null ? null : codec.decode(bytes), false);
    }

    private LockBackendException failure(@Nullable String key, SQLException e) {
        return new LockBackendException(key == null ? null : "once:" + key, tx.dialect().name(), "idempotency key failed", e);
    }

    @Override
    public String toString() {
        return "Once[" + table + ", keepFor=" + keepFor + "]";
    }

    /** Configures a {@link Once}. Not thread-safe. */
    public static final class Builder<T> {
        private final DataSource dataSource;
        private final Codec<T> codec;
        private String table = "holdfast_once";
        private Duration keepFor = Duration.ofDays(7);
        private boolean createIfMissing = true;

        private Builder(DataSource dataSource, Codec<T> codec) {
            this.dataSource = requireNonNull(dataSource, "dataSource");
            this.codec = requireNonNull(codec, "codec");
        }

        /**
         * The keys table (default {@code holdfast_once}).
         *
         * @throws IllegalArgumentException if it is not a plain SQL identifier
         */
        public Builder<T> table(String table) {
            this.table = RowDialect.checkIdentifier("table", table);
            return this;
        }

        /**
         * How long a key prevents a repeat, from its run's insert by the database clock (default 7 days).
         *
         * @throws IllegalArgumentException if not positive
         */
        public Builder<T> keepFor(Duration keepFor) {
            requireNonNull(keepFor, "keepFor");
            if (keepFor.isNegative() || keepFor.isZero()) {
                throw new IllegalArgumentException("keepFor must be positive, was " + keepFor);
            }
            this.keepFor = keepFor;
            return this;
        }

        /**
         * Whether {@link #build()} creates the keys table if it does not exist (default {@code true}). Off, the
         * build checks that the table exists and fails with a message naming it and its DDL file if not.
         */
        public Builder<T> createIfMissing(boolean createIfMissing) {
            this.createIfMissing = createIfMissing;
            return this;
        }

        /**
         * The former name of {@link #createIfMissing(boolean)}.
         *
         * @deprecated use {@link #createIfMissing(boolean)}, the option every JDBC builder shares
         */
        @Deprecated
        public Builder<T> createTableIfMissing(boolean create) {
            return createIfMissing(create);
        }

        /**
         * The idempotency keys: detects the dialect and checks (or creates) the keys table, on a short-lived
         * connection of the data source (never a caller's transactional one).
         *
         * @throws LockBackendException  if the database cannot be reached or creating the table failed
         * @throws IllegalStateException if the table is missing and {@code createIfMissing} is off
         */
        public Once<T> build() {
            Once<T> once = new Once<>(this);
            Connection c;
            try {
                c = once.tx.dataSource().getConnection();
            } catch (SQLException e) {
                throw new LockBackendException(null, "jdbc", "the database is unreachable: cannot open a connection to "
                        + "check (or create) the idempotency keys table '" + table + "' at build time", e);
            }
            try (c) {
                RowDialect d = once.tx.dialect(c);
                String file = "dev/holdfast/lock/jdbc/rows/" + d.onceSchemaFile();
                if (!c.getAutoCommit()) {
                    c.setAutoCommit(true);
                }
                SQLException createFailure = null;
                if (createIfMissing) {
                    try (Statement s = c.createStatement()) {
                        s.execute(d.onceSchema(d.quote(table)));
                    } catch (SQLException e) {
                        createFailure = e; // another process may have created it at the same moment: the probe tells
                    }
                }
                try (Statement s = c.createStatement()) {
                    s.executeQuery("SELECT 1 FROM " + d.quote(table) + " WHERE 1 = 0").close();
                } catch (SQLException e) {
                    if (createFailure != null) {
                        createFailure.addSuppressed(e);
                        throw new LockBackendException(null, d.name(), "cannot create the idempotency keys table '"
                                + table + "' (DDL: " + file + " in the holdfast lock-jdbc jar)", createFailure);
                    }
                    throw new IllegalStateException(d.name() + ": the idempotency keys table '" + table + "' does not "
                            + "exist (or cannot be read). Build with createIfMissing(true) (the default) to create it, "
                            + "or create it yourself with " + file + " from the holdfast lock-jdbc jar ("
                            + e.getMessage() + ")", e);
                }
            } catch (SQLException e) {
                throw new LockBackendException(null, "jdbc", "schema check of the idempotency keys table '" + table + "' failed", e);
            }
            return once;
        }
    }
}
