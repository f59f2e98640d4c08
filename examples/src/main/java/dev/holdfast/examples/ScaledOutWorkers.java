package dev.holdfast.examples;

import dev.holdfast.lock.jdbc.rows.ClaimQueue;
import dev.holdfast.lock.jdbc.rows.Row;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import javax.sql.DataSource;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Story 1, records processed twice by scaled-out workers. A cron command loads every pending record and
 * processes it. Fine on one machine; auto-scaling ran several instances at once and records were processed
 * more than once.
 *
 * <p>The fix in the report: each run first stamps pending, unowned records with its own batch id, then
 * processes only the rows carrying its id. Holdfast's {@link ClaimQueue} does exactly that (claims skip
 * each other's rows with {@code SKIP LOCKED}), heartbeats while a batch is worked on, and commits the work
 * together with the "done" mark; a dead worker's claims go back to the queue after a timeout.
 */
final class ScaledOutWorkers implements Story {

    @Override
    public String id() {
        return "workers";
    }

    @Override
    public String title() {
        return "Records processed twice by scaled-out workers";
    }

    @Override
    public String feature() {
        return "ClaimQueue: claim a batch with your own id";
    }

    @Override
    public String scale(int size) {
        return size + " pending records, every replica runs the cron command";
    }

    @Override
    public void prepare(DataSource data, int size) throws SQLException {
        JdbcTemplate db = new JdbcTemplate(data);
        db.execute("DROP TABLE IF EXISTS processed");
        db.execute("DROP TABLE IF EXISTS record");
        db.execute("CREATE TABLE record (id INT PRIMARY KEY, payload VARCHAR(40) NOT NULL, status VARCHAR(10) NOT NULL,"
                + " batch_id VARCHAR(100), claimed_at " + (Story.mariadb(data) ? "DATETIME(6)" : "TIMESTAMPTZ") + ")");
        db.execute("CREATE TABLE processed (record_id INT NOT NULL, worker INT NOT NULL)");
        for (int id = 1; id <= size; id++) {
            db.update("INSERT INTO record (id, payload, status) VALUES (?, ?, 'pending')", id, "record " + id);
        }
    }

    @Override
    public void work(Job job) {
        if (!job.guarded()) {
            // broken: every instance loads all pending records and processes them
            JdbcTemplate db = new JdbcTemplate(job.data());
            List<Integer> pending = db.queryForList("SELECT id FROM record WHERE status = 'pending' ORDER BY id", Integer.class);
            for (int id : pending) {
                if (job.mine(id)) {
                    Story.pause(3);
                    db.update("INSERT INTO processed VALUES (?, ?)", id, job.replica());
                    db.update("UPDATE record SET status = 'done' WHERE id = ?", id);
                    job.done();
                }
            }
            return;
        }
        // fixed: claim up to 10 pending, unowned records with this batch's own id, process only those
        try (ClaimQueue queue = ClaimQueue.builder(job.data(), "record", "id")
                .pending("status", "pending").doneValue("done")
                .owner("batch_id").claimedAt("claimed_at")
                .claimTimeout(Duration.ofMinutes(1))
                .workerId("replica-" + job.replica() + "-" + job.thread())
                .build()) {
            while (queue.process(10, (rows, c) -> {
                for (Row row : rows) {
                    Story.pause(3);
                    try (var insert = c.prepareStatement("INSERT INTO processed VALUES (?, ?)")) {
                        insert.setLong(1, row.getLong("id"));
                        insert.setInt(2, job.replica());
                        insert.executeUpdate(); // commits together with the "done" mark
                    }
                    job.done();
                }
            }).claimed() > 0) {
                // next batch
            }
        }
    }

    @Override
    public Tally tally(DataSource data, int size, int workers) {
        JdbcTemplate db = new JdbcTemplate(data);
        long twice = db.queryForObject("SELECT COUNT(*) - COUNT(DISTINCT record_id) FROM processed", Long.class);
        long left = db.queryForObject("SELECT COUNT(*) FROM record WHERE status <> 'done'"
                + " OR id NOT IN (SELECT record_id FROM processed)", Long.class);
        return new Tally(twice, left);
    }
}
