package dev.holdfast.lock.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.lock.Lease;
import dev.holdfast.lock.LockLostException;
import dev.holdfast.lock.LockRequest;
import dev.holdfast.lock.LossReason;
import dev.holdfast.lock.testkit.Await;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** PostgreSQL-advisory-only cases: the session is the lease. */
class PostgresAdvisoryLockProviderTest {

    @RegisterExtension
    static final TestDb DB = TestDb.postgres();

    private static long advisoryLocksOf(long pid) throws SQLException {
        try (Connection c = DB.admin(); PreparedStatement ps = c.prepareStatement(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = ?")) {
            ps.setLong(1, pid);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    @Test
    void terminatingTheSessionLosesEveryLeaseWithinAThirdOfTheLeaseTimeAndTheProviderReconnects() {
        Set<Long> ids = ConcurrentHashMap.newKeySet();
        Duration leaseTime = Duration.ofSeconds(6);
        try (PostgresAdvisoryLockProvider locks = PostgresAdvisoryLockProvider.builder(DB.direct(ids)).createIfMissing(true).build()) {
            ids.clear(); // the build's schema check used (and closed) a session of its own
            String prefix = "hf-terminate-" + UUID.randomUUID() + "-";
            List<Lease> leases = new ArrayList<>();
            ConcurrentLinkedQueue<LockLostException> lost = new ConcurrentLinkedQueue<>();
            for (int i = 0; i < 20; i++) {
                Lease lease = locks.tryAcquire(LockRequest.named(prefix + i).leaseTime(leaseTime).build()).orElseThrow();
                lease.onLost(lost::add);
                leases.add(lease);
            }
            assertThat(ids).hasSize(1);
            long killedAt = System.nanoTime();
            DB.kill(List.copyOf(ids));
            Await.until(Duration.ofSeconds(60), "every lease reported lost", () -> lost.size() == leases.size());
            Duration took = Duration.ofNanos(System.nanoTime() - killedAt);
            System.out.printf("advisory: %d leases reported lost %d ms after pg_terminate_backend (lease time %d ms)%n",
                    leases.size(), took.toMillis(), leaseTime.toMillis());
            // a third of the lease time plus a round trip (and scheduling slack on a busy 2-core machine)
            assertThat(took).isLessThan(leaseTime.dividedBy(3).plusMillis(300));
            assertThat(lost).allSatisfy(e -> assertThat(e.reason()).isEqualTo(LossReason.CONNECTION_LOST));
            assertThat(leases).noneMatch(Lease::isHeld);
            // new requests get a new session
            try (Lease again = locks.tryAcquire(LockRequest.named(prefix + "0").leaseTime(leaseTime).build()).orElseThrow()) {
                assertThat(again.token()).isGreaterThan(leases.get(0).token());
            }
            assertThat(ids).hasSize(2);
        }
    }

    /**
     * How many advisory locks this test holds at once: 10,000, or a quarter of the server's shared lock table
     * ({@code max_locks_per_transaction × (max_connections + max_prepared_transactions)}, 6,400 slots by default)
     * if that is less. The table is shared by every session of the server, so a test that filled it would fail
     * whatever else runs beside it (another build did: "out of shared memory").
     */
    private static int leasesToHold() throws SQLException {
        try (Connection c = DB.admin(); PreparedStatement ps = c.prepareStatement("SELECT current_setting('max_locks_per_transaction')::int"
                     + " * (current_setting('max_connections')::int + current_setting('max_prepared_transactions')::int)");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            return (int) Math.min(10_000, rs.getLong(1) / 4);
        }
    }

    @Test
    void holdsThousandsOfLeasesOnAtMostTwoConnectionsThenReleasesThemAll() throws SQLException {
        int count = leasesToHold();
        assertThat(count).as("leases to hold").isGreaterThanOrEqualTo(1_000);
        Set<Long> ids = ConcurrentHashMap.newKeySet();
        try (PostgresAdvisoryLockProvider locks = PostgresAdvisoryLockProvider.builder(DB.direct(ids)).createIfMissing(true).build()) {
            ids.clear(); // the build's schema check used (and closed) a session of its own
            String prefix = "hf-10k-" + UUID.randomUUID() + "-";
            // one busy request with a wait, so this provider's LISTEN connection is open too
            try (PostgresAdvisoryLockProvider other = PostgresAdvisoryLockProvider.builder(DB.direct(ConcurrentHashMap.newKeySet())).build();
                 Lease busy = other.tryAcquire(LockRequest.of(prefix + "busy")).orElseThrow()) {
                assertThat(locks.tryAcquire(LockRequest.named(prefix + "busy").waitTime(Duration.ofMillis(50)).build())).isEmpty();
            }
            Lease first = locks.tryAcquire(LockRequest.of(prefix + "first")).orElseThrow();
            List<Lease> leases = new ArrayList<>();
            long start = System.nanoTime();
            for (int i = 0; i < count; i++) {
                leases.add(locks.tryAcquire(LockRequest.named(prefix + i).leaseTime(Duration.ofMinutes(2)).build()).orElseThrow());
            }
            long acquired = System.nanoTime();
            assertThat(leases).allMatch(Lease::isHeld);
            long pid = ids.stream().filter(id -> {
                try {
                    return advisoryLocksOf(id) > 0;
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            }).findFirst().orElseThrow();
            assertThat(advisoryLocksOf(pid)).isEqualTo(count + 1L);
            Await.until(Duration.ofSeconds(60), "the LISTEN connection is open", () -> ids.size() == 2);
            for (Lease lease : leases) {
                assertThat(lease.release()).isTrue();
            }
            long released = System.nanoTime();
            first.release();
            assertThat(advisoryLocksOf(pid)).isZero();
            System.out.printf("advisory: %,d leases acquired in %d ms, released in %d ms, on %d connection(s)%n",
                    count, (acquired - start) / 1_000_000, (released - acquired) / 1_000_000, ids.size());
            assertThat(ids).as("database sessions the provider opened").hasSizeLessThanOrEqualTo(2);
        }
    }

    @Test
    void closingGivesTheConnectionBackWithoutItsLocks() throws SQLException {
        Set<Long> ids = ConcurrentHashMap.newKeySet();
        var pool = DB.pool("holdfast-close-test", 2, ids);
        String name = "hf-close-" + UUID.randomUUID();
        try (PostgresAdvisoryLockProvider locks = PostgresAdvisoryLockProvider.builder(pool).createIfMissing(true).build()) {
            locks.tryAcquire(LockRequest.of(name)).orElseThrow();
        }
        // the pooled session lives on, but holds nothing
        for (long id : ids) {
            assertThat(advisoryLocksOf(id)).isZero();
        }
        try (PostgresAdvisoryLockProvider other = PostgresAdvisoryLockProvider.builder(DB.direct(ConcurrentHashMap.newKeySet())).build()) {
            assertThat(other.tryAcquire(LockRequest.of(name))).isPresent();
        }
    }

    @Test
    void collidingKeysInOneProviderAreBusyNotReentrant() {
        // force a "collision": the same key on the session already held for a minHold after release
        String name = "hf-minhold-" + UUID.randomUUID();
        try (PostgresAdvisoryLockProvider locks = PostgresAdvisoryLockProvider.builder(DB.direct(ConcurrentHashMap.newKeySet()))
                .createIfMissing(true).build()) {
            Lease lease = locks.tryAcquire(LockRequest.named(name).minHold(Duration.ofMillis(800)).build()).orElseThrow();
            lease.release();
            // the session still holds the key until minHold passes: the same provider must see it busy
            assertThat(locks.tryAcquire(LockRequest.of(name))).isEmpty();
            try (Lease later = Await.value(Duration.ofSeconds(30), "free after minHold",
                    () -> locks.tryAcquire(LockRequest.of(name)).orElse(null))) {
                assertThat(later.token()).isGreaterThan(lease.token());
            }
        }
    }
}
