package dev.holdfast.lock.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.lock.Lease;
import dev.holdfast.lock.LockRequest;
import dev.holdfast.lock.testkit.Await;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The table lease's PostgreSQL notification channel stays within PostgreSQL's 63-byte identifier limit for
 * every table name the builder accepts (a schema-qualified name can be 127 characters), and LISTEN and
 * pg_notify agree on it.
 */
class PostgresNotificationChannelTest {

    @RegisterExtension
    static final TestDb PG = TestDb.postgres();

    /** A valid schema-qualified name (each part within 63 characters) of 66 characters in all. */
    private final String longTable = "public.t" + ("x" + UUID.randomUUID().toString().replace("-", "")).repeat(2).substring(0, 58);

    @AfterEach
    void dropTable() throws Exception {
        try (Connection c = PG.admin(); var s = c.createStatement()) {
            s.execute("DROP TABLE IF EXISTS " + longTable);
        }
    }

    @Test
    void aLongSchemaQualifiedTableReleasesWithNotificationsOff() {
        try (JdbcTableLockProvider p = JdbcTableLockProvider.builder(PG.direct(ConcurrentHashMap.newKeySet()))
                .tableName(longTable).notifications(false).build();
             JdbcTableLockProvider other = JdbcTableLockProvider.builder(PG.direct(ConcurrentHashMap.newKeySet()))
                .tableName(longTable).notifications(false).build()) {
            String name = "long-channel-" + UUID.randomUUID();
            Lease lease = p.acquire(LockRequest.named(name).leaseTime(Duration.ofMinutes(5)).build());
            assertThat(lease.release()).as("release on table %s", longTable).isTrue();
            assertThat(other.inspect(name)).as("the row after the release").isEmpty();
            try (Lease next = other.tryAcquire(LockRequest.of(name))
                    .orElseThrow(() -> new AssertionError("the released lock is still held"))) {
                assertThat(next.token()).isGreaterThan(lease.token());
            }
        }
    }

    @Test
    void aWaiterOnALongSchemaQualifiedTableIsWokenByTheReleaseNotification() throws Exception {
        String name = "long-channel-" + UUID.randomUUID();
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try (JdbcTableLockProvider holder = JdbcTableLockProvider.builder(PG.direct(ConcurrentHashMap.newKeySet()))
                .tableName(longTable).build();
             JdbcTableLockProvider waiter = JdbcTableLockProvider.builder(PG.direct(ConcurrentHashMap.newKeySet()))
                .tableName(longTable).build()) {
            Lease held = holder.tryAcquire(LockRequest.named(name).leaseTime(Duration.ofMinutes(5)).build()).orElseThrow();
            Future<Long> granted = executor.submit(() -> {
                try (Lease l = waiter.acquire(LockRequest.named(name).waitTime(Duration.ofSeconds(60)).build())) {
                    return l.token();
                }
            });
            Await.until(Duration.ofSeconds(60), "the waiter's LISTEN connection is open", waiter::listening);
            long before = waiter.notificationsReceived();
            assertThat(held.release()).isTrue();
            assertThat(granted.get(60, TimeUnit.SECONDS)).isGreaterThan(held.token());
            Await.until(Duration.ofSeconds(30), "the release notification reaches the waiter's LISTEN",
                    () -> waiter.notificationsReceived() > before);
        } finally {
            executor.shutdownNow();
        }
    }

    @Test
    void channelsFitIn63BytesAndStayDistinctAndShortNamesKeepTheirChannel() {
        String prefix = "public.t" + "x".repeat(57);
        String a = new PostgresTableSql(prefix + "a").channel();
        String b = new PostgresTableSql(prefix + "b").channel();
        assertThat(a.getBytes(StandardCharsets.UTF_8)).hasSizeLessThanOrEqualTo(63);
        assertThat(b.getBytes(StandardCharsets.UTF_8)).hasSizeLessThanOrEqualTo(63);
        assertThat(a).as("channels of two long names that differ only at the end").isNotEqualTo(b);
        assertThat(a).isEqualTo(new PostgresTableSql(prefix + "a").channel()).matches("[a-z0-9_]+");
        // names whose channel already fits keep it (processes of an older version listen on it)
        assertThat(new PostgresTableSql("Locks.Holdfast_Lock").channel()).isEqualTo("locks_holdfast_lock");
        String exactly63 = "s." + "y".repeat(61);
        assertThat(new PostgresTableSql(exactly63).channel()).isEqualTo("s_" + "y".repeat(61));
    }
}
