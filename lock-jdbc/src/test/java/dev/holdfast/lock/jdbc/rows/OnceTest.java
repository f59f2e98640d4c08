package dev.holdfast.lock.jdbc.rows;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import dev.holdfast.lock.testkit.Await;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

class OnceTest {

    private static final int TICKETS = 100_500;
    private static final int BATCH = 1_000;

    /** The batch job of the raffle story: inserts tickets [from, from + n). */
    private static String createTickets(Connection c, String table, int batchNo, int from, int n) throws SQLException {
        for (int start = from; start < from + n; start += 500) {
            int size = Math.min(500, from + n - start);
            StringBuilder sql = new StringBuilder("INSERT INTO " + table + " (ticket_no, batch_no) VALUES ");
            for (int i = 0; i < size; i++) {
                sql.append(i == 0 ? "(?, ?)" : ", (?, ?)");
            }
            try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
                int p = 1;
                for (int i = 0; i < size; i++) {
                    ps.setLong(p++, start + i);
                    ps.setInt(p++, batchNo);
                }
                ps.executeUpdate();
            }
        }
        return "batch " + batchNo + ": " + n + " tickets";
    }

    @ParameterizedTest
    @EnumSource(Db.class)
    void theRaffleJobRunTwiceConcurrentlyPerBatchCreatesEachTicketOnce(Db db) throws Exception {
        String keys = Db.unique("once_keys");
        String tickets = Db.unique("once_ticket");
        db.exec("CREATE TABLE " + tickets + " (ticket_no BIGINT NOT NULL, batch_no INT NOT NULL)"); // no key: duplicates would show
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try (HikariDataSource ds = db.pool(Db.unique("once-raffle"), 6)) {
            Once<String> once = Once.builder(ds, Once.Codec.string()).table(keys).createIfMissing(true).build();
            String run = Db.unique("raffle");
            long start = System.nanoTime();
            List<CompletableFuture<Once.Result<String>>[]> pairs = new ArrayList<>();
            for (int b = 0; b * BATCH < TICKETS; b++) {
                int batchNo = b;
                int n = Math.min(BATCH, TICKETS - b * BATCH);
                @SuppressWarnings("unchecked")
                CompletableFuture<Once.Result<String>>[] twice = new CompletableFuture[2];
                for (int k = 0; k < 2; k++) {
                    twice[k] = CompletableFuture.supplyAsync(() -> once.run(run + ":batch:" + batchNo,
                            c -> createTickets(c, tickets, batchNo, batchNo * BATCH, n)), pool);
                }
                pairs.add(twice);
            }
            int ranTwice = 0;
            for (CompletableFuture<Once.Result<String>>[] twice : pairs) {
                Once.Result<String> x = twice[0].get(120, TimeUnit.SECONDS);
                Once.Result<String> y = twice[1].get(120, TimeUnit.SECONDS);
                assertThat(x.ranNow() ^ y.ranNow()).as("exactly one run of %s did the work", x.key()).isTrue();
                assertThat(x.value()).isEqualTo(y.value()).startsWith("batch ");
                ranTwice += x.ranNow() && y.ranNow() ? 1 : 0;
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            assertThat(ranTwice).isZero();
            assertThat(db.count("SELECT count(*) FROM " + tickets)).isEqualTo(TICKETS);
            assertThat(db.count("SELECT count(DISTINCT ticket_no) FROM " + tickets)).isEqualTo(TICKETS);
            assertThat(db.count("SELECT count(*) FROM " + keys)).isEqualTo(pairs.size());
            System.out.printf("[rows] %s: raffle: %d batch jobs each run twice concurrently -> exactly %,d tickets in %.1f s%n",
                    db, pairs.size(), TICKETS, seconds);
        } finally {
            pool.shutdownNow();
            db.drop(keys, tickets);
        }
    }

    @ParameterizedTest
    @EnumSource(Db.class)
    void aFailedRunLeavesNoKeyAndAnExpiredKeyRunsAgain(Db db) {
        String keys = Db.unique("once_exp");
        try (HikariDataSource ds = db.pool(Db.unique("once-exp"), 4)) {
            Once<byte[]> once = Once.builder(ds, Once.Codec.bytes()).table(keys).keepFor(Duration.ofMillis(300))
                    .createIfMissing(true).build();
            AtomicInteger runs = new AtomicInteger();
            assertThatThrownBy(() -> once.run("k", c -> {
                runs.incrementAndGet();
                throw new IllegalStateException("boom");
            })).hasMessage("boom");
            Once.Result<byte[]> first = once.run("k", c -> new byte[] {(byte) runs.incrementAndGet()});
            assertThat(first.ranNow()).isTrue();
            assertThat(first.value()).containsExactly(2);
            Once.Result<byte[]> second = once.run("k", c -> new byte[] {(byte) runs.incrementAndGet()});
            if (!second.ranNow()) { // unless the machine stalled past the 300 ms expiry
                assertThat(second.value()).containsExactly(2);
            }
            Await.until(Duration.ofSeconds(30), "the key to expire", () -> once.run("k", c -> new byte[] {9}).ranNow());
            Await.until(Duration.ofSeconds(30), "the key to expire again", () -> once.purgeExpired() == 1);
            assertThat(db.count("SELECT count(*) FROM " + keys)).isZero();
            assertThatThrownBy(() -> once.run("", c -> null)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> once.run("x".repeat(256), c -> null)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> Once.builder(ds, Once.Codec.string()).table("once keys")).isInstanceOf(IllegalArgumentException.class);
        } finally {
            db.drop(keys);
        }
    }

    @ParameterizedTest
    @EnumSource(Db.class)
    void theKeyCommitsOrRollsBackWithTheCallersSpringTransaction(Db db) {
        String keys = Db.unique("once_tx");
        try (HikariDataSource ds = db.pool(Db.unique("once-tx"), 4)) {
            Once<String> once = Once.builder(ds, Once.Codec.string()).table(keys).createIfMissing(true).build();
            TransactionTemplate tx = new TransactionTemplate(new DataSourceTransactionManager(ds));
            tx.executeWithoutResult(status -> {
                assertThat(once.run("order-1", c -> "first").ranNow()).isTrue();
                status.setRollbackOnly();
            });
            assertThat(once.run("order-1", c -> "second")).isEqualTo(new Once.Result<>("order-1", "second", true));
            String again = tx.execute(status -> once.run("order-1", c -> "third").value());
            assertThat(again).isEqualTo("second");
            try (Connection c = ds.getConnection()) {
                c.setAutoCommit(false);
                assertThat(once.run(c, "order-2", conn -> null)).isEqualTo(new Once.Result<String>("order-2", null, true));
                c.commit();
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
            assertThat(once.run("order-2", c -> "late")).isEqualTo(new Once.Result<String>("order-2", null, false));
        } finally {
            db.drop(keys);
        }
    }
}
