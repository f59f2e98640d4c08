package dev.holdfast.lock.jdbc.rows;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Bad input to the row patterns is refused up front and harms nothing. */
class RowPatternInputTest {

    @ParameterizedTest
    @EnumSource(Db.class)
    void onceRefusesKeysThatAreNotValidUnicodeSoTwoKeysNeverBecomeOne(Db db) {
        String keys = Db.unique("once_badkey");
        try (HikariDataSource ds = db.pool(Db.unique("once-badkey"), 2)) {
            Once<String> once = Once.builder(ds, Once.Codec.string()).table(keys).build();
            AtomicInteger ran = new AtomicInteger();
            // an unpaired surrogate would reach the database as '?': "k\uD800" and "k?" would be one key
            Throwable thrown = catchThrowable(() -> once.run("k\uD800", c -> "first " + ran.incrementAndGet()));
            assertThat(thrown).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("unpaired surrogate").hasMessageContaining("U+D800").hasMessageContaining("index 1");
            assertThatThrownBy(() -> once.run("\uDC00k", c -> "x")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("U+DC00");
            assertThatThrownBy(() -> once.run("k\u0000", c -> "x")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("U+0000");
            assertThat(ran).hasValue(0);
            // the work of "k?" runs: nothing was stored for the refused key
            Once.Result<String> r = once.run("k?", c -> "second " + ran.incrementAndGet());
            assertThat(r.ranNow()).isTrue();
            assertThat(r.value()).isEqualTo("second 1");
            // valid supplementary characters are fine, and distinct from their neighbours
            assertThat(once.run("k\uD83D\uDE00", c -> "smile").ranNow()).isTrue();
            assertThat(once.run("k\uD83D\uDE01", c -> "grin").ranNow()).isTrue();
            assertThat(once.run("k\uD83D\uDE00", c -> "again").value()).isEqualTo("smile");
        } finally {
            db.drop(keys);
        }
    }

    @ParameterizedTest
    @EnumSource(Db.class)
    void rowLockRefusesAWaitBeyondTheLockTimeoutRangeBeforeAnythingRuns(Db db) throws Exception {
        String table = Db.unique("rl_wait");
        db.exec("CREATE TABLE " + table + " (id BIGINT PRIMARY KEY, status VARCHAR(16) NOT NULL)",
                "INSERT INTO " + table + " (id, status) VALUES (1, 'NEW')");
        try (HikariDataSource ds = db.pool(Db.unique("rl-wait"), 2); Connection c = ds.getConnection()) {
            RowLock rows = RowLock.builder(ds, table, "id").build();
            Throwable thrown = catchThrowable(() -> RowLock.Wait.upTo(Duration.ofDays(30)));
            assertThat(thrown).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("at most " + RowLock.Wait.MAX_TIMEOUT).hasMessageContaining("lock_timeout");
            // the largest allowed wait works, and the caller's transaction stays usable throughout
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.executeUpdate("UPDATE " + table + " SET status = 'SEEN' WHERE id = 1");
            }
            RowLock.Result<String> r = rows.run(c, 1L, RowLock.Wait.upTo(RowLock.Wait.MAX_TIMEOUT), (row, conn) -> row.getString("status"));
            assertThat(r.ran()).isTrue();
            assertThat(r.value()).isEqualTo("SEEN");
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM " + table)) {
                rs.next();
                assertThat(rs.getLong(1)).isEqualTo(1);
            }
            c.commit();
        } finally {
            db.drop(table);
        }
    }

    @ParameterizedTest
    @EnumSource(Db.class)
    void aFailingLockStatementInTheCallersTransactionLeavesThatTransactionUsable(Db db) throws Exception {
        String table = Db.unique("rl_fail");
        db.exec("CREATE TABLE " + table + " (id BIGINT PRIMARY KEY, status VARCHAR(16) NOT NULL)",
                "INSERT INTO " + table + " (id, status) VALUES (1, 'NEW')");
        try (HikariDataSource ds = db.pool(Db.unique("rl-fail"), 2); Connection c = ds.getConnection()) {
            RowLock rows = RowLock.builder(ds, table, "id").build();
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.executeUpdate("UPDATE " + table + " SET status = 'SEEN' WHERE id = 1");
            }
            // a key the database cannot compare with a BIGINT: the select fails inside the caller's transaction
            Throwable thrown = catchThrowable(() -> rows.run(c, "not a number", RowLock.Wait.upTo(Duration.ofSeconds(5)), (row, conn) -> "ran"));
            if (db == Db.POSTGRES) {
                assertThat(thrown).isInstanceOf(dev.holdfast.lock.LockBackendException.class);
            }
            // the caller's own work goes on and commits
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT status FROM " + table + " WHERE id = 1")) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo("SEEN");
            }
            c.commit();
            assertThat(db.count("SELECT count(*) FROM " + table + " WHERE status = 'SEEN'")).isEqualTo(1);
        } finally {
            db.drop(table);
        }
    }
}
