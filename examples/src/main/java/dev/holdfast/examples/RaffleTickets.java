package dev.holdfast.examples;

import dev.holdfast.lock.Guard;
import dev.holdfast.lock.LockRequest;
import dev.holdfast.lock.jdbc.rows.Once;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import javax.sql.DataSource;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Story 5, a raffle's tickets created twice. A raffle asks for its tickets; background jobs insert them in
 * batches (the report: 100,500 tickets by 101 jobs of 1,000). Jobs may run twice, and must not create extra
 * tickets.
 *
 * <p>The fix: an idempotency key per batch with {@link Once} — the batch's insert and its key commit in one
 * transaction, so a job that runs again finds the key and does nothing — inside a {@link Guard} over the
 * raffle, whose fresh reload of the raffle's {@code tickets_count} skips the work once the raffle is full.
 */
final class RaffleTickets implements Story {

    static final int BATCH = 50;

    record Raffle(int wanted, int ticketsCount) {
    }

    @Override
    public String id() {
        return "raffle";
    }

    @Override
    public String title() {
        return "Raffle tickets created twice by repeated jobs";
    }

    @Override
    public String feature() {
        return "Once (idempotency key) + Guard over the raffle";
    }

    /** Tickets the raffle asks for: ten per item of the demo's size, so the last batch is a partial one. */
    static int wanted(int size) {
        return size * 10 + BATCH / 2;
    }

    @Override
    public String scale(int size) {
        int wanted = wanted(size);
        return wanted + " tickets in " + (wanted + BATCH - 1) / BATCH + " batch jobs, every job delivered to every replica";
    }

    @Override
    public void prepare(DataSource data, int size) {
        JdbcTemplate db = new JdbcTemplate(data);
        db.execute("DROP TABLE IF EXISTS ticket");
        db.execute("DROP TABLE IF EXISTS raffle");
        db.execute("DROP TABLE IF EXISTS holdfast_once");
        db.execute("CREATE TABLE raffle (id INT PRIMARY KEY, wanted INT NOT NULL, tickets_count INT NOT NULL)");
        db.execute("CREATE TABLE ticket (raffle_id INT NOT NULL, batch_no INT NOT NULL, serial INT NOT NULL)");
        db.update("INSERT INTO raffle VALUES (1, ?, 0)", wanted(size));
        Once.builder(data, Once.Codec.string()).createIfMissing(true).build(); // the keys' table, once
    }

    @Override
    public void work(Job job) {
        JdbcTemplate db = new JdbcTemplate(job.data());
        Once<String> once = Once.builder(job.data(), Once.Codec.string()).build();
        int wanted = wanted(job.size());
        int batches = (wanted + BATCH - 1) / BATCH;
        // every replica was handed every batch job: the queue delivered each job more than once
        for (int batch = 0; batch < batches; batch++) {
            if (!job.mine(batch)) {
                continue;
            }
            int first = batch * BATCH;
            int count = Math.min(BATCH, wanted - first);
            int batchNo = batch;
            if (!job.guarded()) {
                // broken: "skip if this batch's tickets exist" -- two runs of a job both see none
                Integer existing = db.queryForObject("SELECT COUNT(*) FROM ticket WHERE raffle_id = 1 AND batch_no = ?",
                        Integer.class, batchNo);
                if (existing == 0) {
                    db.execute((Connection c) -> {
                        insertTickets(c, batchNo, first, count);
                        return null;
                    });
                }
            } else {
                // fixed: the raffle's lock and a fresh look at it; the batch's key commits with its tickets
                Guard.Outcome<String> outcome = Guard.using(job.locks())
                        .lock(LockRequest.named(job.lockName("raffle-1")).waitTime(Duration.ofSeconds(60)).build())
                        .reload(() -> db.queryForObject("SELECT wanted, tickets_count FROM raffle WHERE id = 1",
                                (rs, n) -> new Raffle(rs.getInt(1), rs.getInt(2))))
                        .onlyIf(raffle -> raffle.ticketsCount() < raffle.wanted())
                        .act((raffle, lease) -> once.run("raffle-1:batch-" + batchNo, c -> {
                            insertTickets(c, batchNo, first, count);
                            return count + " tickets";
                        }).value());
                if (outcome.status() == Guard.Status.BUSY || outcome.status() == Guard.Status.LOST) {
                    throw new IllegalStateException("raffle batch " + batchNo + ": " + outcome.status());
                }
            }
            job.done();
        }
    }

    /** One bulk insert of a batch, and the raffle's counter, in the caller's transaction. */
    private static void insertTickets(Connection c, int batchNo, int first, int count) throws SQLException {
        try (var insert = c.prepareStatement("INSERT INTO ticket VALUES (1, ?, ?)")) {
            for (int serial = first; serial < first + count; serial++) {
                insert.setInt(1, batchNo);
                insert.setInt(2, serial);
                insert.addBatch();
            }
            insert.executeBatch();
        }
        Story.pause(2);
        try (var counter = c.prepareStatement("UPDATE raffle SET tickets_count = tickets_count + ? WHERE id = 1")) {
            counter.setInt(1, count);
            counter.executeUpdate();
        }
    }

    @Override
    public Tally tally(DataSource data, int size, int workers) {
        long tickets = new JdbcTemplate(data).queryForObject("SELECT COUNT(*) FROM ticket", Long.class);
        long wanted = wanted(size);
        return new Tally(Math.max(0, tickets - wanted), Math.max(0, wanted - tickets));
    }
}
