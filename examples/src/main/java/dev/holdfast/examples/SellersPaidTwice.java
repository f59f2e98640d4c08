package dev.holdfast.examples;

import dev.holdfast.lock.Guard;
import dev.holdfast.lock.LockRequest;
import java.time.Duration;
import java.util.List;
import javax.sql.DataSource;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Story 2, sellers paid twice. An accounting job pays open invoices every 10 minutes; one run took longer,
 * the next started while it was still paying, and both paid the same sellers from their stale snapshots.
 * Re-reading the invoice just before paying ({@code pay unless invoice.reload.paid?}) narrows the window
 * but does not close it.
 *
 * <p>The fix is the {@link Guard}: take the invoice's lock, reload the invoice <em>after</em> the lock is
 * held, pay only if it is still open, release. The second run waits for the lock, then sees the invoice
 * paid. The lease's fencing token travels with the payment, so a holder whose lease ran out can't
 * overwrite a newer holder's work ({@code ... WHERE fence < token}).
 */
final class SellersPaidTwice implements Story {

    record Invoice(int id, String seller, int amount, boolean paid) {
    }

    @Override
    public String id() {
        return "sellers";
    }

    @Override
    public String title() {
        return "Sellers paid twice (overlapping cron runs)";
    }

    @Override
    public String feature() {
        return "Guard: lock, fresh reload, fencing token";
    }

    @Override
    public String scale(int size) {
        return size + " open invoices, every replica's run pays from its own snapshot";
    }

    @Override
    public void prepare(DataSource data, int size) {
        JdbcTemplate db = new JdbcTemplate(data);
        db.execute("DROP TABLE IF EXISTS payment");
        db.execute("DROP TABLE IF EXISTS invoice");
        db.execute("CREATE TABLE invoice (id INT PRIMARY KEY, seller VARCHAR(40) NOT NULL, amount INT NOT NULL,"
                + " paid BOOLEAN NOT NULL DEFAULT FALSE, fence BIGINT NOT NULL DEFAULT 0)");
        db.execute("CREATE TABLE payment (invoice_id INT NOT NULL, seller VARCHAR(40) NOT NULL, amount INT NOT NULL)");
        for (int id = 1; id <= size; id++) {
            db.update("INSERT INTO invoice (id, seller, amount) VALUES (?, ?, ?)", id, "seller-" + id % 17, 100 + id);
        }
    }

    @Override
    public void work(Job job) {
        JdbcTemplate db = new JdbcTemplate(job.data());
        TransactionTemplate tx = new TransactionTemplate(new DataSourceTransactionManager(job.data()));
        // the run's snapshot: every open invoice, loaded when the job starts
        List<Integer> open = db.queryForList("SELECT id FROM invoice WHERE NOT paid ORDER BY id", Integer.class);
        for (int id : open) {
            if (!job.mine(id)) {
                continue;
            }
            if (!job.guarded()) {
                // broken: "pay unless invoice.reload.paid?" -- both runs can pass the check before either pays
                Invoice invoice = find(db, id);
                if (!invoice.paid()) {
                    callThePaymentProvider();
                    tx.executeWithoutResult(s -> {
                        db.update("INSERT INTO payment VALUES (?, ?, ?)", id, invoice.seller(), invoice.amount());
                        db.update("UPDATE invoice SET paid = TRUE WHERE id = ?", id);
                    });
                }
            } else {
                // fixed: lock -> reload after the lock is held -> pay only if still open -> release
                Guard.Outcome<Void> outcome = Guard.using(job.locks())
                        .lock(LockRequest.named(job.lockName("payout:invoice-" + id)).waitTime(Duration.ofSeconds(30)).build())
                        .reload(() -> find(db, id))
                        .onlyIf(invoice -> !invoice.paid())
                        .act((invoice, lease) -> {
                            callThePaymentProvider();
                            tx.executeWithoutResult(s -> {
                                // the fencing token: a stale holder's write changes nothing and pays nobody
                                if (db.update("UPDATE invoice SET paid = TRUE, fence = ? WHERE id = ? AND fence < ?",
                                        lease.token(), id, lease.token()) == 1) {
                                    db.update("INSERT INTO payment VALUES (?, ?, ?)", id, invoice.seller(), invoice.amount());
                                }
                            });
                            return null;
                        });
                if (outcome.status() == Guard.Status.BUSY || outcome.status() == Guard.Status.LOST) {
                    throw new IllegalStateException("invoice " + id + ": " + outcome.status());
                }
            }
            job.done();
        }
    }

    private static Invoice find(JdbcTemplate db, int id) {
        return db.queryForObject("SELECT id, seller, amount, paid FROM invoice WHERE id = ?",
                (rs, n) -> new Invoice(rs.getInt(1), rs.getString(2), rs.getInt(3), rs.getBoolean(4)), id);
    }

    /** The bank transfer: a few milliseconds on the network. */
    private static void callThePaymentProvider() {
        Story.pause(3);
    }

    @Override
    public Tally tally(DataSource data, int size, int workers) {
        JdbcTemplate db = new JdbcTemplate(data);
        long extraPayments = db.queryForObject("SELECT COUNT(*) - COUNT(DISTINCT invoice_id) FROM payment", Long.class);
        long unpaid = db.queryForObject("SELECT COUNT(*) FROM invoice WHERE NOT paid", Long.class);
        return new Tally(extraPayments, unpaid);
    }
}
