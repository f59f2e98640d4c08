package dev.holdfast.lock.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.holdfast.lock.Lease;
import dev.holdfast.lock.LockBackendException;
import dev.holdfast.lock.LockInspector;
import dev.holdfast.lock.LockProvider;
import dev.holdfast.lock.LockRequest;
import dev.holdfast.lock.jdbc.rows.Once;
import dev.holdfast.lock.testkit.fixtures.JdbcSettings;
import dev.holdfast.lock.testkit.fixtures.MariaDbFixture;
import dev.holdfast.lock.testkit.fixtures.PostgresFixture;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Issue 13: every JDBC provider and pattern builds on an EMPTY schema (a PostgreSQL schema or MariaDB database
 * created for the test alone, dropped after it) with createIfMissing on (the default) and then works; with it
 * off, {@code build()} fails at once with a message that names the missing object, the option and the DDL file;
 * an unreachable database fails the build with a message that says so.
 */
class SchemaAtBuildTest {

    /** A uniquely named, empty PostgreSQL schema or MariaDB database, dropped on close. */
    static final class Fresh implements AutoCloseable {
        final boolean postgres;
        final String name;
        final HikariDataSource dataSource;
        private final JdbcSettings admin;

        Fresh(boolean postgres) {
            this.postgres = postgres;
            this.admin = postgres ? PostgresFixture.settings() : MariaDbFixture.settings();
            byte[] b = new byte[5];
            ThreadLocalRandom.current().nextBytes(b);
            this.name = "hf_fresh_" + HexFormat.of().formatHex(b);
            exec(postgres ? "CREATE SCHEMA " + name : "CREATE DATABASE " + name);
            String url = postgres
                    ? admin.url() + (admin.url().contains("?") ? "&" : "?") + "currentSchema=" + name
                    : admin.url().replaceFirst("^(jdbc:mariadb://[^/?]+)(/[^?]*)?", "$1/" + name);
            HikariConfig config = new HikariConfig();
            config.setJdbcUrl(url);
            config.setUsername(admin.user());
            config.setPassword(admin.password());
            config.setPoolName("holdfast-" + name);
            config.setMaximumPoolSize(4);
            config.setMinimumIdle(0);
            config.setConnectionTimeout(30_000);
            this.dataSource = new HikariDataSource(config);
        }

        /** How many tables and sequences the schema holds. */
        long objects() {
            String sql = postgres
                    ? "SELECT count(*) FROM pg_class WHERE relnamespace = '" + name + "'::regnamespace AND relkind IN ('r', 'S')"
                    : "SELECT count(*) FROM information_schema.tables WHERE table_schema = '" + name + "'";
            try (Connection c = admin.connect(); Statement s = c.createStatement(); var rs = s.executeQuery(sql)) {
                rs.next();
                return rs.getLong(1);
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        }

        private void exec(String sql) {
            try (Connection c = admin.connect(); Statement s = c.createStatement()) {
                s.execute(sql);
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public void close() {
            dataSource.close();
            exec(postgres ? "DROP SCHEMA IF EXISTS " + name + " CASCADE" : "DROP DATABASE IF EXISTS " + name);
        }
    }

    /** A data source on a port where nothing listens (a refused connection: fails at once). */
    private static DataSource unreachable(boolean postgres) {
        return (postgres ? TestDb.postgres() : TestDb.mariadb()).unreachable();
    }

    enum Provider {
        ADVISORY_POSTGRES(true, "sequence", "holdfast_fence_seq", "dev/holdfast/lock/jdbc/schema/postgresql-advisory.sql",
                (ds, create) -> PostgresAdvisoryLockProvider.builder(ds).createIfMissing(create).build()),
        GET_LOCK_MARIADB(false, "sequence", "holdfast_fence_seq", "dev/holdfast/lock/jdbc/schema/mariadb-fence.sql",
                (ds, create) -> MysqlLockProvider.builder(ds).createIfMissing(create).build()),
        TABLE_POSTGRES(true, "table", "holdfast_lock", "dev/holdfast/lock/jdbc/schema/postgresql-holdfast_lock.sql",
                (ds, create) -> JdbcTableLockProvider.builder(ds).createIfMissing(create).build()),
        TABLE_MARIADB(false, "table", "holdfast_lock", "dev/holdfast/lock/jdbc/schema/mariadb-holdfast_lock.sql",
                (ds, create) -> JdbcTableLockProvider.builder(ds).createIfMissing(create).build());

        final boolean postgres;
        final String kind;
        final String object;
        final String ddl;
        final Factory factory;

        Provider(boolean postgres, String kind, String object, String ddl, Factory factory) {
            this.postgres = postgres;
            this.kind = kind;
            this.object = object;
            this.ddl = ddl;
            this.factory = factory;
        }
    }

    interface Factory {
        LockProvider build(DataSource ds, boolean create);
    }

    @ParameterizedTest
    @EnumSource(Provider.class)
    void buildsOnAnEmptySchemaByDefaultAndThenLocksWork(Provider p) {
        String name = "hf-fresh-" + UUID.randomUUID();
        try (Fresh fresh = new Fresh(p.postgres)) {
            assertThat(fresh.objects()).isZero();
            try (LockProvider locks = p.factory.build(fresh.dataSource, true)) {
                assertThat(fresh.objects()).as("objects created by build()").isPositive();
                long first;
                try (Lease lease = locks.tryAcquire(LockRequest.of(name)).orElseThrow()) {
                    first = lease.token();
                    assertThat(((LockInspector) locks).inspect(name)).isPresent();
                    assertThat(locks.tryAcquire(LockRequest.of(name))).isEmpty();
                }
                assertThat(((LockInspector) locks).inspect(name)).isEmpty();
                try (Lease again = locks.tryAcquire(LockRequest.of(name)).orElseThrow()) {
                    assertThat(again.token()).isGreaterThan(first);
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Provider.class)
    void withCreateOffTheBuildFailsNamingTheMissingObjectTheOptionAndTheDdl(Provider p) {
        try (Fresh fresh = new Fresh(p.postgres)) {
            Throwable thrown = catchThrowable(() -> p.factory.build(fresh.dataSource, false));
            assertThat(thrown).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("the " + p.kind + " '" + p.object + "' does not exist")
                    .hasMessageContaining("createIfMissing(true)")
                    .hasMessageContaining(p.ddl);
            assertThat(fresh.objects()).as("nothing created").isZero();
        }
    }

    @ParameterizedTest
    @EnumSource(Provider.class)
    void anUnreachableDatabaseFailsTheBuildSayingSo(Provider p) {
        DataSource down = unreachable(p.postgres);
        for (boolean create : new boolean[] {true, false}) {
            Throwable thrown = catchThrowable(() -> p.factory.build(down, create));
            assertThat(thrown).isInstanceOf(LockBackendException.class).hasMessageContaining("the database is unreachable")
                    .hasMessageContaining(p.object);
        }
    }

    @Test
    void h2TableBuildsOnAnEmptyDatabaseAndFailsWithCreateOff() {
        TestDb h2 = TestDb.h2();
        Throwable thrown = catchThrowable(() -> JdbcTableLockProvider.builder(h2.direct(java.util.concurrent.ConcurrentHashMap.newKeySet())).createIfMissing(false).build());
        assertThat(thrown).isInstanceOf(IllegalStateException.class).hasMessageContaining("the table 'holdfast_lock' does not exist")
                .hasMessageContaining("createIfMissing(true)").hasMessageContaining("dev/holdfast/lock/jdbc/schema/h2-holdfast_lock.sql");
        try (LockProvider locks = JdbcTableLockProvider.builder(h2.direct(java.util.concurrent.ConcurrentHashMap.newKeySet())).build();
             Lease lease = locks.tryAcquire(LockRequest.of("hf-h2-fresh")).orElseThrow()) {
            assertThat(lease.isHeld()).isTrue();
        }
    }

    // ------------------------------------------------------------------ PostgresTransactionLocks

    @Test
    void transactionLocksCreateTheFencingSequenceOnAnEmptySchemaAndFailWithCreateOff() throws SQLException {
        try (Fresh fresh = new Fresh(true)) {
            Throwable thrown = catchThrowable(() -> PostgresTransactionLocks.builder(fresh.dataSource).createIfMissing(false).build());
            assertThat(thrown).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("the sequence 'holdfast_fence_seq' does not exist")
                    .hasMessageContaining("createIfMissing(true)")
                    .hasMessageContaining("dev/holdfast/lock/jdbc/schema/postgresql-advisory.sql");
            assertThat(fresh.objects()).isZero();

            PostgresTransactionLocks locks = PostgresTransactionLocks.builder(fresh.dataSource).build();
            assertThat(fresh.objects()).isEqualTo(1);
            try (Connection c = fresh.dataSource.getConnection()) {
                c.setAutoCommit(false);
                OptionalLong token = locks.tryLock(c, "hf-xact-fresh-" + UUID.randomUUID());
                assertThat(token).isPresent();
                c.rollback();
            }
        }
        Throwable down = catchThrowable(() -> PostgresTransactionLocks.builder(unreachable(true)).build());
        assertThat(down).isInstanceOf(LockBackendException.class).hasMessageContaining("the database is unreachable");
    }

    // ------------------------------------------------------------------ rows.Once

    @ParameterizedTest
    @EnumSource(value = Provider.class, names = {"TABLE_POSTGRES", "TABLE_MARIADB"}) // one per database
    void onceCreatesItsKeysTableOnAnEmptySchemaAndFailsWithCreateOff(Provider p) {
        try (Fresh fresh = new Fresh(p.postgres)) {
            Throwable thrown = catchThrowable(() -> Once.builder(fresh.dataSource, Once.Codec.string()).createIfMissing(false).build());
            assertThat(thrown).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("the idempotency keys table 'holdfast_once' does not exist")
                    .hasMessageContaining("createIfMissing(true)")
                    .hasMessageContaining("dev/holdfast/lock/jdbc/rows/" + (p.postgres ? "postgresql" : "mariadb") + "-holdfast_once.sql");
            assertThat(fresh.objects()).isZero();

            Once<String> once = Once.builder(fresh.dataSource, Once.Codec.string()).build();
            assertThat(fresh.objects()).isEqualTo(1);
            assertThat(once.run("k", c -> "done").ranNow()).isTrue();
            assertThat(once.run("k", c -> "again").value()).isEqualTo("done");
        }
        Throwable down = catchThrowable(() -> Once.builder(unreachable(p.postgres), Once.Codec.string()).build());
        assertThat(down).isInstanceOf(LockBackendException.class).hasMessageContaining("the database is unreachable");
    }
}
