package dev.holdfast.lock.jdbc.rows;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.TransactionAwareDataSourceProxy;
import org.springframework.transaction.support.TransactionTemplate;

class RowLockTest {

    private static final int INVOICES = 300;

    private static void createInvoices(Db db, String table, String sent) {
        db.exec("CREATE TABLE " + table + " (id BIGINT PRIMARY KEY, status VARCHAR(10) NOT NULL, amount BIGINT NOT NULL)",
                "CREATE TABLE " + sent + " (invoice_id BIGINT NOT NULL, server VARCHAR(20) NOT NULL)");
        StringBuilder values = new StringBuilder();
        for (int i = 1; i <= INVOICES; i++) {
            values.append(i == 1 ? "" : ",").append("(").append(i).append(", 'NEW', ").append(i * 10).append(")");
        }
        db.exec("INSERT INTO " + table + " VALUES " + values);
    }

    @ParameterizedTest
    @EnumSource(Db.class)
    void twoServersSendingTheSameInvoicesWithNoWaitSendEachOnce(Db db) throws Exception {
        String table = Db.unique("rl_invoice");
        String sent = Db.unique("rl_sent");
        createInvoices(db, table, sent);
        try (HikariDataSource a = db.pool(Db.unique("rl-server-a"), 2); HikariDataSource b = db.pool(Db.unique("rl-server-b"), 2)) {
            AtomicInteger busy = new AtomicInteger();
            AtomicInteger skipped = new AtomicInteger();
            List<CompletableFuture<Void>> servers = new ArrayList<>();
            for (HikariDataSource ds : List.of(a, b)) {
                String server = ds == a ? "a" : "b";
                RowLock invoices = RowLock.builder(ds, table, "id").build();
                servers.add(CompletableFuture.runAsync(() -> {
                    for (long id = 1; id <= INVOICES; id++) {
                        RowLock.Result<Boolean> r = invoices.run(id, RowLock.Wait.noWait(), (row, c) -> {
                            if (!"NEW".equals(row.getString("status"))) {
                                return false; // the fresh reload shows the other server sent it
                            }
                            try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + sent + " VALUES (?, ?)")) {
                                ps.setLong(1, row.getLong("id"));
                                ps.setString(2, server);
                                ps.executeUpdate();
                            }
                            try (PreparedStatement ps = c.prepareStatement("UPDATE " + table + " SET status = 'SENT' WHERE id = ?")) {
                                ps.setLong(1, row.getLong("id"));
                                ps.executeUpdate();
                            }
                            return true;
                        });
                        if (r.busy()) {
                            busy.incrementAndGet();
                        } else if (Boolean.FALSE.equals(r.value())) {
                            skipped.incrementAndGet();
                        }
                    }
                }));
            }
            CompletableFuture.allOf(servers.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
            assertThat(db.count("SELECT count(*) FROM " + sent)).isEqualTo(INVOICES);
            assertThat(db.count("SELECT count(DISTINCT invoice_id) FROM " + sent)).isEqualTo(INVOICES);
            assertThat(db.count("SELECT count(*) FROM " + table + " WHERE status = 'SENT'")).isEqualTo(INVOICES);
            System.out.printf("[rows] %s: %d invoices sent once by two servers (%d BUSY, %d already sent)%n",
                    db, INVOICES, busy.get(), skipped.get());
        } finally {
            db.drop(table, sent);
        }
    }

    @ParameterizedTest
    @EnumSource(Db.class)
    void busyIsTypedForEveryWaitPolicyAndLeavesTheCallersTransactionUsable(Db db) throws Exception {
        String table = Db.unique("rl_busy");
        String sent = Db.unique("rl_busy_sent");
        createInvoices(db, table, sent);
        try (HikariDataSource ds = db.pool(Db.unique("rl-busy"), 4); Connection holder = ds.getConnection()) {
            RowLock locks = RowLock.builder(ds, table, "id").columns("id", "amount").build();
            holder.setAutoCommit(false);
            try (Statement s = holder.createStatement()) {
                s.executeQuery("SELECT * FROM " + table + " WHERE id = 1 FOR UPDATE").close();
            }
            AtomicInteger ran = new AtomicInteger();
            RowLock.Work<Long> work = (row, c) -> {
                ran.incrementAndGet();
                return row.getLong("amount");
            };
            assertThat(locks.run(1L, RowLock.Wait.noWait(), work).outcome()).isEqualTo(RowLock.Outcome.BUSY);
            assertThat(locks.run(1L, RowLock.Wait.skipLocked(), work).outcome()).isEqualTo(RowLock.Outcome.BUSY);
            long start = System.nanoTime();
            assertThat(locks.run(1L, RowLock.Wait.upTo(Duration.ofMillis(700)), work).outcome()).isEqualTo(RowLock.Outcome.BUSY);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(600));
            assertThat(ran).hasValue(0);
            assertThat(locks.run(999_999L, RowLock.Wait.noWait(), work).outcome()).isEqualTo(RowLock.Outcome.NOT_FOUND);
            assertThat(locks.run(999_999L, RowLock.Wait.skipLocked(), work).outcome()).isEqualTo(RowLock.Outcome.NOT_FOUND);
            RowLock.Result<Long> other = locks.run(2L, RowLock.Wait.upTo(Duration.ofSeconds(2)), work);
            assertThat(other.ran()).isTrue();
            assertThat(other.value()).isEqualTo(20L);

            // in the caller's own transaction: write, meet a busy row, write again, commit: both writes stay
            try (Connection c = ds.getConnection()) {
                c.setAutoCommit(false);
                try (Statement s = c.createStatement()) {
                    s.executeUpdate("INSERT INTO " + sent + " VALUES (100, 'before')");
                }
                assertThat(locks.run(c, 1L, RowLock.Wait.noWait(), work).busy()).isTrue();
                assertThat(locks.run(c, 1L, RowLock.Wait.upTo(Duration.ofMillis(300)), work).busy()).isTrue();
                assertThat(locks.run(c, 3L, RowLock.Wait.upTo(Duration.ofSeconds(1)), work).value()).isEqualTo(30L);
                try (Statement s = c.createStatement()) {
                    s.executeUpdate("INSERT INTO " + sent + " VALUES (100, 'after')");
                }
                c.commit();
            }
            assertThat(db.count("SELECT count(*) FROM " + sent + " WHERE invoice_id = 100")).isEqualTo(2);
            holder.rollback();
            assertThat(locks.run(1L, RowLock.Wait.noWait(), work).value()).isEqualTo(10L);
        } finally {
            db.drop(table, sent);
        }
    }

    @ParameterizedTest
    @EnumSource(Db.class)
    void joinsTheSpringTransactionSoTheLockLastsUntilItEnds(Db db) {
        String table = Db.unique("rl_spring");
        String sent = Db.unique("rl_spring_sent");
        createInvoices(db, table, sent);
        try (HikariDataSource ds = db.pool(Db.unique("rl-spring"), 4)) {
            // through a TransactionAwareDataSourceProxy too: the pattern still sees (and joins) the transaction
            RowLock locks = RowLock.builder(new TransactionAwareDataSourceProxy(ds), table, "id").build();
            TransactionTemplate tx = new TransactionTemplate(new DataSourceTransactionManager(ds));
            tx.executeWithoutResult(status -> {
                assertThat(locks.run(5L, RowLock.Wait.noWait(), (row, c) -> "mine").value()).isEqualTo("mine");
                // the lock is still held: another transaction (own connection) finds it busy
                CompletableFuture<RowLock.Result<String>> other = CompletableFuture.supplyAsync(
                        () -> locks.run(5L, RowLock.Wait.noWait(), (row, c) -> "theirs"));
                assertThat(other.join().busy()).isTrue();
                status.setRollbackOnly();
            });
            assertThat(locks.run(5L, RowLock.Wait.noWait(), (row, c) -> "free").value()).isEqualTo("free");
            assertThatThrownBy(() -> RowLock.builder(ds, "invoice\"--", "id")).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> locks.run(5L, RowLock.Wait.noWait(), (row, c) -> row.get("no_such_column")))
                    .isInstanceOf(IllegalArgumentException.class);
        } finally {
            db.drop(table, sent);
        }
    }
}
