package dev.holdfast.lock.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.holdfast.lock.Lease;
import dev.holdfast.lock.LockInspector;
import dev.holdfast.lock.LockProvider;
import dev.holdfast.lock.LockRequest;
import dev.holdfast.lock.testkit.Await;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import javax.sql.DataSource;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.TransactionAwareDataSourceProxy;
import org.springframework.transaction.support.TransactionTemplate;

/** Store-specific cases every JDBC provider must pass: hostile names, and never joining the caller's transaction. */
class JdbcProvidersTest {

    @RegisterExtension
    static final TestDb PG = TestDb.postgres();
    @RegisterExtension
    static final TestDb MARIADB = TestDb.mariadb();
    @RegisterExtension
    static final TestDb H2 = TestDb.h2();

    enum Kind {
        ADVISORY_POSTGRES(PG, ds -> PostgresAdvisoryLockProvider.builder(ds).createIfMissing(true).build()),
        GET_LOCK_MARIADB(MARIADB, ds -> MysqlLockProvider.builder(ds).createIfMissing(true).build()),
        TABLE_POSTGRES(PG, ds -> JdbcTableLockProvider.builder(ds).createIfMissing(true).build()),
        TABLE_MARIADB(MARIADB, ds -> JdbcTableLockProvider.builder(ds).createIfMissing(true).build()),
        TABLE_H2(H2, ds -> JdbcTableLockProvider.builder(ds).createIfMissing(true).build());

        final TestDb db;
        final Function<DataSource, LockProvider> factory;

        Kind(TestDb db, Function<DataSource, LockProvider> factory) {
            this.db = db;
            this.factory = factory;
        }

        LockProvider create() {
            return factory.apply(db.pool("holdfast-store-test", 4, ConcurrentHashMap.newKeySet()));
        }
    }

    private static LockRequest once(String name) {
        return LockRequest.named(name).leaseTime(Duration.ofSeconds(30)).build();
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void hostileNamesAreOrdinaryLocksAndReachSqlOnlyAsParameters(Kind kind) {
        String u = UUID.randomUUID().toString().substring(0, 8);
        List<String> names = List.of(
                "quote'" + u, "dq\"" + u, "'); DROP TABLE holdfast_lock; --" + u, "semi;colon" + u, "percent%_" + u,
                "back\\slash\\'" + u, "unicode-ünï-錠-🔒-" + u, "$1?:name" + u, "x".repeat(1000) + u);
        try (LockProvider a = kind.create(); LockProvider b = kind.create()) {
            kind.db.sqlTexts.clear();
            kind.db.recordSql = true;
            try {
                for (String name : names) {
                    Lease lease = a.tryAcquire(once(name)).orElseThrow();
                    assertThat(b.tryAcquire(once(name))).as("busy: %s", name).isEmpty();
                    if (a instanceof LockInspector inspector) {
                        assertThat(inspector.inspect(name)).hasValueSatisfying(info -> assertThat(info.token()).isEqualTo(lease.token()));
                    }
                    assertThat(lease.release()).isTrue();
                    try (Lease again = Await.value(Duration.ofSeconds(30), "free after release",
                            () -> b.tryAcquire(once(name)).orElse(null))) {
                        assertThat(again.token()).isGreaterThan(lease.token());
                    }
                }
            } finally {
                kind.db.recordSql = false;
            }
            for (String sql : kind.db.sqlTexts) {
                for (String name : names) {
                    assertThat(sql).as("SQL text").doesNotContain(u);
                }
            }
            assertThat(kind.db.sqlTexts).isNotEmpty();
        }
        assertThatThrownBy(() -> LockRequest.of("x".repeat(10_000))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at most " + LockRequest.MAX_NAME_LENGTH);
        assertThatThrownBy(() -> LockRequest.of(" \t ".strip() + "   ")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("blank");
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void acquiringNeverJoinsTheCallersTransaction(Kind kind) {
        DataSource pool = kind.db.pool("holdfast-tx-test", 4, ConcurrentHashMap.newKeySet());
        // the nastiest case: a data source that hands out the caller's transactional connection
        DataSource txAware = new TransactionAwareDataSourceProxy(pool);
        TransactionTemplate tx = new TransactionTemplate(new DataSourceTransactionManager(pool));
        String name = "hf-tx-" + UUID.randomUUID();
        try (LockProvider locks = kind.factory.apply(txAware); LockProvider other = kind.create()) {
            Lease lease = tx.execute(status -> {
                Lease l = locks.tryAcquire(once(name)).orElseThrow();
                status.setRollbackOnly(); // the caller's work fails
                return l;
            });
            // the rollback neither released the lock ...
            assertThat(lease.isHeld()).isTrue();
            assertThat(other.tryAcquire(once(name))).isEmpty();
            // ... nor keeps it once released
            Optional<Lease> inTx = tx.execute(status -> {
                lease.release();
                status.setRollbackOnly();
                return Optional.<Lease>empty();
            });
            assertThat(inTx).isEmpty();
            try (Lease next = Await.value(Duration.ofSeconds(30), "the lock is free after release",
                    () -> other.tryAcquire(once(name)).orElse(null))) {
                assertThat(next.token()).isGreaterThan(lease.token());
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void connectionsAreOnlyEverTheProvidersOwn(Kind kind) {
        Set<Long> ids = ConcurrentHashMap.newKeySet();
        DataSource pool = kind.db.pool("holdfast-own-test", 4, ids);
        TransactionTemplate tx = new TransactionTemplate(new DataSourceTransactionManager(pool));
        try (LockProvider locks = kind.factory.apply(new TransactionAwareDataSourceProxy(pool))) {
            tx.executeWithoutResult(status -> {
                try (Lease lease = locks.tryAcquire(once("hf-own-" + UUID.randomUUID())).orElseThrow()) {
                    assertThat(lease.isHeld()).isTrue();
                }
            });
        }
        assertThat(ids).as("the caller's connection plus the provider's own").hasSizeGreaterThanOrEqualTo(2);
    }
}
