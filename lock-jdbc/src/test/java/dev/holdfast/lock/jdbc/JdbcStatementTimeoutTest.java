package dev.holdfast.lock.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.holdfast.lock.Lease;
import dev.holdfast.lock.LockBackendException;
import dev.holdfast.lock.LockProvider;
import dev.holdfast.lock.LockRequest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link JdbcTableLockProvider.Builder#statementTimeout}: a statement the server does not finish (blocked on a
 * row lock that another session holds in an open transaction, as on a stalled server), or whose reply never
 * comes back (a proxy holds it), ends within the bound with a {@link LockBackendException}, and leaves no
 * lock behind.
 */
class JdbcStatementTimeoutTest {

    @RegisterExtension
    static final TestDb PG = TestDb.postgres();
    @RegisterExtension
    static final TestDb MARIADB = TestDb.mariadb();

    private static final Duration TIMEOUT = Duration.ofSeconds(1);
    /** The statement timeout plus generous slack for a loaded machine; without the timeout the calls block for good. */
    private static final Duration BOUND = Duration.ofSeconds(8);
    private static final String TABLE = "holdfast_lock_stall";

    enum Db {
        POSTGRES, MARIADB;

        TestDb db() {
            return this == POSTGRES ? PG : JdbcStatementTimeoutTest.MARIADB;
        }
    }

    private static JdbcTableLockProvider provider(Db db) {
        DataSource ds = db.db().pool("holdfast-stall-test", 4, ConcurrentHashMap.newKeySet());
        return JdbcTableLockProvider.builder(ds).tableName(TABLE).statementTimeout(TIMEOUT).build();
    }

    /** Runs {@code call} on another thread and checks it ended within the bound with a LockBackendException. */
    private static void failsWithinTheBound(String what, Runnable call) throws Exception {
        ExecutorService thread = Executors.newSingleThreadExecutor();
        try {
            long start = System.nanoTime();
            Future<Throwable> outcome = thread.submit(() -> catchThrowable(call::run));
            Throwable thrown;
            try {
                thrown = outcome.get(BOUND.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                throw new AssertionError(what + " still blocked after " + BOUND + " (no statement timeout)");
            }
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertThat(thrown).as(what).isInstanceOf(LockBackendException.class)
                    .hasMessageContaining("statementTimeout");
            assertThat(took).as(what + ": at least the statement timeout").isGreaterThanOrEqualTo(TIMEOUT.minusMillis(100));
        } finally {
            thread.shutdownNow();
        }
    }

    @ParameterizedTest
    @EnumSource(Db.class)
    void statementsBlockedOnAStalledRowEndWithinTheTimeoutAndLeaveNoLockBehind(Db db) throws Exception {
        String name = "hf-stall-" + UUID.randomUUID();
        try (JdbcTableLockProvider a = provider(db); JdbcTableLockProvider b = provider(db);
             Connection stall = db.db().admin()) {
            Lease held = a.tryAcquire(LockRequest.named(name).leaseTime(Duration.ofMinutes(5)).build()).orElseThrow();
            String other = name + "-free";
            a.tryAcquire(LockRequest.of(other)).orElseThrow().release(); // the row exists, free
            stall.setAutoCommit(false);
            try (PreparedStatement ps = stall.prepareStatement("SELECT token FROM " + TABLE + " WHERE name IN (?, ?) FOR UPDATE")) {
                ps.setString(1, name);
                ps.setString(2, other);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        // lock both rows until the transaction ends
                    }
                }
            }
            try {
                failsWithinTheBound("a try-once acquire of a blocked free row",
                        () -> b.tryAcquire(LockRequest.of(other)));
                failsWithinTheBound("a waiting acquire of a blocked free row",
                        () -> b.tryAcquire(LockRequest.named(other).waitTime(Duration.ofSeconds(60)).build()));
                failsWithinTheBound("an extend of a blocked row", () -> held.extend(Duration.ofMinutes(5)));
                assertThat(held.isHeld()).as("a failed extend does not end the lease by itself").isTrue();
            } finally {
                stall.rollback();
            }
            // the server moves on: the timed-out acquires took nothing, the holder still holds its name
            assertThat(b.inspect(other)).as("a timed-out acquire left the row held").isEmpty();
            try (Lease got = b.tryAcquire(LockRequest.of(other))
                    .orElseThrow(() -> new AssertionError("a timed-out acquire left the name held"))) {
                assertThat(got.isHeld()).isTrue();
            }
            assertThat(b.tryAcquire(LockRequest.of(name))).as("the holder's lock").isEmpty();
            assertThat(held.release()).isTrue();
            try (Lease got = b.tryAcquire(LockRequest.of(name)).orElseThrow()) {
                assertThat(got.isHeld()).isTrue();
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Db.class)
    void anAcquireOrReleaseWhoseReplyNeverComesEndsWithinTheBoundAndLeavesNoLockBehind(Db db) throws Exception {
        String name = "hf-reply-stalls-" + UUID.randomUUID();
        String url = db.db().url();
        try (ReplyStallingProxy proxy = new ReplyStallingProxy(url);
             JdbcTableLockProvider a = JdbcTableLockProvider.builder(db.db().direct(proxy.url(url)))
                     .tableName(TABLE).statementTimeout(TIMEOUT).build();
             JdbcTableLockProvider b = provider(db)) {
            // a data source without a pool: each statement on a connection of its own, so only the acquire's stalls
            proxy.stallTheReplyToTheNextRequestWith("INSERT INTO " + TABLE);
            failsWithinTheBound("an acquire whose reply never comes", () -> a.tryAcquire(
                    LockRequest.named(name).leaseTime(Duration.ofMinutes(5)).build()));
            // the acquire ran on the server (the row is there), and was undone on a new connection: nothing holds the name
            assertThat(rowExists(db, name)).as("the acquire whose reply was held back ran on the server").isTrue();
            try (Lease got = b.tryAcquire(LockRequest.of(name))
                    .orElseThrow(() -> new AssertionError("an acquire whose reply was lost left the name held"))) {
                assertThat(got.isHeld()).isTrue();
            }

            Lease held = a.tryAcquire(LockRequest.named(name).leaseTime(Duration.ofMinutes(5)).build()).orElseThrow();
            proxy.stallTheReplyToTheNextRequestWith("SET locked_until = LEAST(locked_until"); // the release, not the undo
            failsWithinTheBound("a release whose reply never comes", held::release);
            assertThat(held.isHeld()).isFalse();
            // the release itself went through on the server
            assertThat(b.tryAcquire(LockRequest.of(name))).as("the name after a release whose reply was lost")
                    .hasValueSatisfying(l -> assertThat(l.release()).isTrue());
        }
    }

    private static boolean rowExists(Db db, String name) throws Exception {
        try (Connection c = db.db().admin(); PreparedStatement ps = c.prepareStatement("SELECT token FROM " + TABLE + " WHERE name = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    @Test
    void theBuilderRejectsAStatementTimeoutOutOfRange() {
        var builder = JdbcTableLockProvider.builder(PG.direct(ConcurrentHashMap.newKeySet()));
        assertThatThrownBy(() -> builder.statementTimeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("statementTimeout").hasMessageContaining("1 ms");
        assertThatThrownBy(() -> builder.statementTimeout(Duration.ofMillis(-5)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("statementTimeout");
        assertThatThrownBy(() -> builder.statementTimeout(Duration.ofDays(2)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("statementTimeout").hasMessageContaining("at most");
        assertThatThrownBy(() -> builder.statementTimeout(null))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("statementTimeout");
    }
}
