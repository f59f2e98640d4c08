package dev.holdfast.examples;

import dev.holdfast.lock.jdbc.rows.RowLock;
import java.util.List;
import javax.sql.DataSource;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Story 3, invoices sent twice by two servers. A daily task sends the pending invoices; with several
 * production servers each running it, every invoice went out once per server.
 *
 * <p>The fix chosen in the report: lock the invoice row with {@code SELECT ... FOR UPDATE NOWAIT}; the
 * second server can't lock it and skips it. With Holdfast's {@link RowLock} that is not an error flow: a
 * locked row is a typed {@code BUSY}, and the locked row handed to the work <em>is</em> the fresh reload
 * (a server that comes later finds it {@code SENT}).
 */
final class InvoicesSentTwice implements Story {

    @Override
    public String id() {
        return "invoices";
    }

    @Override
    public String title() {
        return "Invoices sent twice by several servers";
    }

    @Override
    public String feature() {
        return "RowLock: FOR UPDATE NOWAIT, typed BUSY";
    }

    @Override
    public String scale(int size) {
        return size + " pending invoices, every replica is a server running the daily task";
    }

    @Override
    public void prepare(DataSource data, int size) {
        JdbcTemplate db = new JdbcTemplate(data);
        db.execute("DROP TABLE IF EXISTS sent_email");
        db.execute("DROP TABLE IF EXISTS invoice_mail");
        db.execute("CREATE TABLE invoice_mail (id INT PRIMARY KEY, recipient VARCHAR(60) NOT NULL,"
                + " status VARCHAR(10) NOT NULL)");
        db.execute("CREATE TABLE sent_email (invoice_id INT NOT NULL, server INT NOT NULL)");
        for (int id = 1; id <= size; id++) {
            db.update("INSERT INTO invoice_mail VALUES (?, ?, 'PENDING')", id, "customer-" + id + "@example.com");
        }
    }

    @Override
    public void work(Job job) {
        JdbcTemplate db = new JdbcTemplate(job.data());
        RowLock invoices = RowLock.builder(job.data(), "invoice_mail", "id").build();
        List<Integer> pending = db.queryForList("SELECT id FROM invoice_mail WHERE status = 'PENDING' ORDER BY id", Integer.class);
        for (int id : pending) {
            if (!job.mine(id)) {
                continue;
            }
            if (!job.guarded()) {
                // broken: every server sends what it loaded as pending
                sendEmail(db, id, job.replica());
                db.update("UPDATE invoice_mail SET status = 'SENT' WHERE id = ?", id);
            } else {
                // fixed: lock the row or skip it; the locked row tells whether it is still pending
                RowLock.Result<Boolean> sent = invoices.run(id, RowLock.Wait.noWait(), (row, c) -> {
                    if (!"PENDING".equals(row.getString("status"))) {
                        return false; // another server sent it already
                    }
                    sendEmail(db, id, job.replica());
                    try (var update = c.prepareStatement("UPDATE invoice_mail SET status = 'SENT' WHERE id = ?")) {
                        update.setInt(1, id);
                        update.executeUpdate(); // commits with the row lock's transaction
                    }
                    return true;
                });
                if (sent.busy()) {
                    continue; // another server is sending it right now: not an error, just skip
                }
            }
            job.done();
        }
    }

    /** The e-mail leaves at once, whatever happens to the transaction afterwards. */
    private static void sendEmail(JdbcTemplate db, int invoiceId, int server) {
        Story.pause(3);
        db.update("INSERT INTO sent_email VALUES (?, ?)", invoiceId, server);
    }

    @Override
    public Tally tally(DataSource data, int size, int workers) {
        JdbcTemplate db = new JdbcTemplate(data);
        long extraMails = db.queryForObject("SELECT COUNT(*) - COUNT(DISTINCT invoice_id) FROM sent_email", Long.class);
        long unsent = db.queryForObject("SELECT COUNT(*) FROM invoice_mail WHERE status = 'PENDING'"
                + " OR id NOT IN (SELECT invoice_id FROM sent_email)", Long.class);
        return new Tally(extraMails, unsent);
    }
}
