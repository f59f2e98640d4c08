package dev.holdfast.lock.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.holdfast.lock.LockRequest;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

class PostgresTransactionLocksTest {

    @RegisterExtension
    static final TestDb DB = TestDb.postgres();

    @Test
    void joinsTheSpringTransactionAndEndsWithIt() {
        DataSource pool = DB.pool("holdfast-xact-test", 4, ConcurrentHashMap.newKeySet());
        PostgresTransactionLocks locks = PostgresTransactionLocks.create(pool);
        TransactionTemplate tx = new TransactionTemplate(new DataSourceTransactionManager(pool));
        String name = "hf-xact-" + UUID.randomUUID();
        try (PostgresAdvisoryLockProvider session = PostgresAdvisoryLockProvider.builder(DB.direct(ConcurrentHashMap.newKeySet()))
                .createIfMissing(true).build()) {
            for (boolean rollback : new boolean[] {false, true}) {
                long token = tx.execute(status -> {
                    OptionalLong t = locks.tryLock(name);
                    assertThat(t).isPresent();
                    // held by this transaction: another session (and another transaction) sees it busy
                    assertThat(session.tryAcquire(LockRequest.of(name))).isEmpty();
                    try (Connection other = DB.admin()) {
                        other.setAutoCommit(false);
                        assertThat(locks.tryLock(other, name, Duration.ofMillis(50))).isEmpty();
                        other.rollback();
                    } catch (SQLException e) {
                        throw new IllegalStateException(e);
                    }
                    if (rollback) {
                        status.setRollbackOnly();
                    }
                    return t.getAsLong();
                });
                // commit or rollback freed it
                try (var lease = session.tryAcquire(LockRequest.of(name)).orElseThrow()) {
                    assertThat(lease.token()).isGreaterThan(token);
                }
            }
        }
    }

    @Test
    void refusesToLockOutsideATransaction() throws SQLException {
        DataSource pool = DB.pool("holdfast-xact-test", 2, ConcurrentHashMap.newKeySet());
        PostgresTransactionLocks locks = PostgresTransactionLocks.create(pool);
        assertThatThrownBy(() -> locks.tryLock("hf-no-tx")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("transaction");
        try (Connection c = DB.admin()) {
            assertThatThrownBy(() -> locks.tryLock(c, "hf-no-tx")).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("auto-commit");
            c.setAutoCommit(false);
            assertThatThrownBy(() -> locks.tryLock(c, "x".repeat(10_000))).isInstanceOf(IllegalArgumentException.class);
            assertThat(locks.tryLock(c, "hf-plain-" + UUID.randomUUID())).isPresent();
            c.rollback();
        }
    }

    @Test
    void refusesAWaitTimeBeyondTheMaximumBeforeAnythingRuns() throws SQLException {
        DataSource pool = DB.pool("holdfast-xact-test", 2, ConcurrentHashMap.newKeySet());
        PostgresTransactionLocks locks = PostgresTransactionLocks.create(pool);
        try (Connection c = DB.admin()) {
            c.setAutoCommit(false);
            for (Duration bad : new Duration[] {LockRequest.MAX_DURATION.plusMillis(1), Duration.ofSeconds(Long.MAX_VALUE)}) {
                assertThatThrownBy(() -> locks.tryLock(c, "hf-wait-" + UUID.randomUUID(), bad))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("waitTime must be at most " + LockRequest.MAX_DURATION);
            }
            assertThatThrownBy(() -> locks.tryLock(c, "hf-wait", Duration.ofMillis(-1)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("waitTime must not be negative");
            // the Spring-transaction overload checks the wait first too (here, outside any transaction)
            assertThatThrownBy(() -> locks.tryLock("hf-wait", Duration.ofMillis(-1)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("waitTime must not be negative");
            // nothing ran: the transaction is usable and the maximum itself is accepted
            assertThat(locks.tryLock(c, "hf-wait-" + UUID.randomUUID(), LockRequest.MAX_DURATION)).isPresent();
            c.rollback();
        }
    }
}
