package dev.holdfast.lock.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.holdfast.lock.Lease;
import dev.holdfast.lock.LockBackendException;
import dev.holdfast.lock.LockInterruptedException;
import dev.holdfast.lock.LockLostException;
import dev.holdfast.lock.LockProvider;
import dev.holdfast.lock.LockRequest;
import dev.holdfast.lock.LossReason;
import dev.holdfast.lock.testkit.Await;
import dev.holdfast.lock.testkit.History;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Regression tests of the JDBC providers' safety fixes: a failed unlock, an acquire whose outcome is unknown
 * or interrupted, REPEATABLE READ pools, and release notifications on a mixed-case table.
 */
class JdbcSafetyTest {

    @RegisterExtension
    static final TestDb PG = TestDb.postgres();
    @RegisterExtension
    static final TestDb MARIADB = TestDb.mariadb();

    enum Kind {
        ADVISORY_POSTGRES(PG, ds -> PostgresAdvisoryLockProvider.builder(ds).build(), "pg_advisory_unlock(?)", "pg_try_advisory_lock(?)", 2),
        GET_LOCK_MARIADB(MARIADB, ds -> MysqlLockProvider.builder(ds).build(), "RELEASE_LOCK(?)", "GET_LOCK(?, 0)", 2),
        TABLE_POSTGRES(PG, ds -> JdbcTableLockProvider.builder(ds).build(), null, "ON CONFLICT (name) DO UPDATE", 3),
        TABLE_MARIADB(MARIADB, ds -> JdbcTableLockProvider.builder(ds).build(), null, "ON DUPLICATE KEY UPDATE", 3);

        final TestDb db;
        final Function<DataSource, LockProvider> factory;
        final String unlockSql;
        final String acquireSql;
        /** How many times one tryAcquire sends its statement when every reply is lost (its own retries). */
        final int sendsPerAcquire;

        Kind(TestDb db, Function<DataSource, LockProvider> factory, String unlockSql, String acquireSql, int sendsPerAcquire) {
            this.db = db;
            this.factory = factory;
            this.unlockSql = unlockSql;
            this.acquireSql = acquireSql;
            this.sendsPerAcquire = sendsPerAcquire;
        }

        LockProvider create() {
            return factory.apply(db.direct(ConcurrentHashMap.newKeySet()));
        }
    }

    private static String unique(String what) {
        return "hf-" + what + "-" + UUID.randomUUID();
    }

    // ------------------------------------------------------------------ a failed unlock

    @ParameterizedTest(name = "{0}, minHold {1}")
    @CsvSource({"ADVISORY_POSTGRES, false", "ADVISORY_POSTGRES, true", "GET_LOCK_MARIADB, false", "GET_LOCK_MARIADB, true"})
    void aFailedUnlockEndsTheSessionSoTheNameIsNeverHeldTwiceAndBecomesFree(Kind kind, boolean minHold) {
        String name = unique("unlock-fails");
        try (LockProvider a = kind.create(); LockProvider b = kind.create()) {
            Lease lease = a.tryAcquire(LockRequest.named(name).minHold(minHold ? Duration.ofMillis(300) : Duration.ZERO).build())
                    .orElseThrow();
            Lease bystander = a.tryAcquire(LockRequest.of(name + "-bystander")).orElseThrow();
            AtomicReference<LockLostException> lost = new AtomicReference<>();
            bystander.onLost(lost::set);

            kind.db.failNext(kind.unlockSql, TestDb.FaultAction.SERVER_CANCELS, 1); // a real 57014 / 1969 on the unlock
            catchThrowable(lease::release); // the lease is over either way; what matters is the server's state

            // the session that still held the name was ended: the name is free for another provider ...
            try (Lease other = b.tryAcquire(LockRequest.named(name).waitTime(Duration.ofSeconds(30)).build())
                    .orElseThrow(() -> new AssertionError("the name stayed held after its unlock failed"))) {
                // ... and never granted twice: the first provider sees it busy while the second holds it
                assertThat(a.tryAcquire(LockRequest.of(name))).as("a second grant while another provider holds it").isEmpty();
                assertThat(other.isHeld()).isTrue();
            }
            // the other leases of the ended session are reported lost
            Await.until(Duration.ofSeconds(30), "the bystander lease reported lost", () -> lost.get() != null);
            assertThat(lost.get().reason()).isEqualTo(LossReason.CONNECTION_LOST);
            assertThat(bystander.isHeld()).isFalse();
            // and the provider goes on, on a new session
            try (Lease again = a.tryAcquire(LockRequest.named(name).waitTime(Duration.ofSeconds(30)).build()).orElseThrow()) {
                assertThat(again.isHeld()).isTrue();
            }
        }
    }

    // ------------------------------------------------------------------ unknown outcome, interrupts

    @ParameterizedTest
    @EnumSource(Kind.class)
    void anAcquireWhoseRepliesAreAllLostLeavesNoLockBehind(Kind kind) {
        String name = unique("reply-lost");
        try (LockProvider a = kind.create(); LockProvider b = kind.create()) {
            // every copy of the acquire statement runs (and commits) on the server, and every reply is lost
            kind.db.failNext(kind.acquireSql, TestDb.FaultAction.REPLY_LOST, kind.sendsPerAcquire);
            Throwable thrown = catchThrowable(() -> a.tryAcquire(LockRequest.named(name).leaseTime(Duration.ofMinutes(5)).build()));
            assertThat(thrown).isInstanceOf(LockBackendException.class);
            // nothing holds the name without a Lease: another provider gets it (the lease time is 5 minutes)
            try (Lease other = b.tryAcquire(LockRequest.named(name).waitTime(Duration.ofSeconds(30)).build())
                    .orElseThrow(() -> new AssertionError("an acquire with no Lease left the name held"))) {
                assertThat(other.isHeld()).isTrue();
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void anInterruptWhileWaitingForAPooledConnectionIsLockInterruptedExceptionAndLeavesNoLock(Kind kind) throws Exception {
        String name = unique("interrupted");
        DataSource pool = kind.db.pool("holdfast-interrupt-test", 1, ConcurrentHashMap.newKeySet(),
                config -> config.setConnectionTimeout(30_000));
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try (LockProvider a = kind.factory.apply(pool); LockProvider b = kind.create()) {
            Future<Throwable> attempt;
            try (Connection taken = pool.getConnection()) { // the pool's only connection: the acquire waits for it
                attempt = executor.submit(() -> {
                    Throwable t = catchThrowable(() -> a.tryAcquire(LockRequest.named(name).waitTime(Duration.ofSeconds(30)).build()));
                    return t != null && Thread.currentThread().isInterrupted() ? t : new AssertionError("interrupt flag lost", t);
                });
                Thread.sleep(300);
                executor.shutdownNow(); // interrupts the waiting acquire
                Throwable thrown = attempt.get(60, TimeUnit.SECONDS);
                assertThat(thrown).isInstanceOf(LockInterruptedException.class);
                assertThat(((LockInterruptedException) thrown).lockName()).isEqualTo(name);
            }
            try (Lease other = b.tryAcquire(LockRequest.of(name)).orElseThrow()) {
                assertThat(other.isHeld()).isTrue();
            }
        } finally {
            executor.shutdownNow();
        }
    }

    // ------------------------------------------------------------------ REPEATABLE READ pools

    @ParameterizedTest
    @EnumSource(value = Kind.class, names = {"TABLE_POSTGRES", "TABLE_MARIADB", "ADVISORY_POSTGRES", "GET_LOCK_MARIADB"})
    void aRepeatableReadPoolUnderContentionGetsGrantsAndBusyOnlyNeverBackendErrors(Kind kind) throws Exception {
        String prefix = unique("repeatable-read") + "-";
        int providers = 4;
        int threadsEach = 2;
        int rounds = 150;
        List<LockProvider> all = new ArrayList<>();
        ExecutorService executor = Executors.newFixedThreadPool(providers * threadsEach);
        History history = new History();
        AtomicLong grants = new AtomicLong();
        AtomicLong busy = new AtomicLong();
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        try {
            for (int p = 0; p < providers; p++) {
                all.add(kind.factory.apply(kind.db.pool("holdfast-rr-test", threadsEach + 1, ConcurrentHashMap.newKeySet(),
                        config -> config.setTransactionIsolation("TRANSACTION_REPEATABLE_READ"))));
            }
            List<Future<?>> done = new ArrayList<>();
            for (LockProvider provider : all) {
                for (int t = 0; t < threadsEach; t++) {
                    done.add(executor.submit(() -> {
                        for (int i = 0; i < rounds; i++) {
                            String name = prefix + (i % 2);
                            try {
                                Optional<Lease> lease = provider.tryAcquire(LockRequest.named(name).leaseTime(Duration.ofSeconds(30)).build());
                                if (lease.isEmpty()) {
                                    busy.incrementAndGet();
                                    continue;
                                }
                                grants.incrementAndGet();
                                history.record(lease.get()).around(() -> null);
                            } catch (RuntimeException e) {
                                failures.add(e);
                            }
                        }
                    }));
                }
            }
            for (Future<?> f : done) {
                f.get(120, TimeUnit.SECONDS);
            }
        } finally {
            executor.shutdownNow();
            all.forEach(LockProvider::close);
        }
        System.out.printf("%s at REPEATABLE READ: %d grants, %d busy, %d failures%n", kind, grants.get(), busy.get(), failures.size());
        assertThat(failures).as("backend errors under contention at REPEATABLE READ").isEmpty();
        assertThat(grants.get() + busy.get()).isEqualTo((long) providers * threadsEach * rounds);
        assertThat(grants.get()).isPositive();
        history.assertValid();
    }

    // ------------------------------------------------------------------ mixed-case table name

    @Test
    void aWaiterOnAMixedCaseTableIsWokenByTheReleaseNotification() throws Exception {
        String table = "HfMixed_" + UUID.randomUUID().toString().replace("-", "").substring(0, 20);
        String name = unique("mixed-case");
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try (JdbcTableLockProvider holder = JdbcTableLockProvider.builder(PG.direct(ConcurrentHashMap.newKeySet())).tableName(table).build();
             JdbcTableLockProvider waiter = JdbcTableLockProvider.builder(PG.direct(ConcurrentHashMap.newKeySet())).tableName(table).build()) {
            Lease held = holder.tryAcquire(LockRequest.of(name)).orElseThrow();
            Future<Long> granted = executor.submit(() -> {
                try (Lease l = waiter.acquire(LockRequest.named(name).waitTime(Duration.ofSeconds(60)).build())) {
                    return l.token();
                }
            });
            Await.until(Duration.ofSeconds(60), "the waiter's LISTEN connection is open", waiter::listening);
            long before = waiter.notificationsReceived();
            held.release();
            assertThat(granted.get(60, TimeUnit.SECONDS)).isGreaterThan(held.token());
            Await.until(Duration.ofSeconds(30), "the release notification reaches the waiter's LISTEN",
                    () -> waiter.notificationsReceived() > before);
        } finally {
            executor.shutdownNow();
            try (Connection c = PG.admin(); var s = c.createStatement()) {
                s.execute("DROP TABLE IF EXISTS " + table);
            }
        }
    }
}
