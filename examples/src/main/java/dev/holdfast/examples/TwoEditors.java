package dev.holdfast.examples;

import dev.holdfast.lock.jdbc.rows.VersionedUpdate;
import java.util.Map;
import javax.sql.DataSource;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Story 4, two editors overwrite each other (race conditions in general). Each editor reads a document,
 * changes it, and writes it back; when two do that at once, the later write silently drops the earlier
 * one's change: a lost update.
 *
 * <p>The fix: a conditional update ({@code ... WHERE id = ? AND version = ?}). A bare "0 rows updated" can't
 * tell a stale read from a deleted row; Holdfast's {@link VersionedUpdate} answers UPDATED, STALE (reload
 * and apply the change again) or GONE (stop).
 */
final class TwoEditors implements Story {

    /** Documents edited at the same time by every thread of every replica. */
    static final int DOCUMENTS = 4;

    record Document(int id, int edits, long version) {
    }

    @Override
    public String id() {
        return "editors";
    }

    @Override
    public String title() {
        return "Editors overwrite each other (lost updates)";
    }

    @Override
    public String feature() {
        return "VersionedUpdate: UPDATED / STALE / GONE";
    }

    @Override
    public String scale(int size) {
        return DOCUMENTS + " documents, " + editsPerThread(size) + " edits by every thread of every replica";
    }

    @Override
    public void prepare(DataSource data, int size) {
        JdbcTemplate db = new JdbcTemplate(data);
        db.execute("DROP TABLE IF EXISTS document");
        db.execute("CREATE TABLE document (id INT PRIMARY KEY, edits INT NOT NULL, version BIGINT NOT NULL)");
        for (int id = 1; id <= DOCUMENTS; id++) {
            db.update("INSERT INTO document VALUES (?, 0, 0)", id);
        }
    }

    /** Each thread of each replica makes {@code size / DOCUMENTS} edits, one per item, round the documents. */
    static int editsPerThread(int size) {
        return Math.max(1, size / DOCUMENTS);
    }

    @Override
    public void work(Job job) {
        JdbcTemplate db = new JdbcTemplate(job.data());
        VersionedUpdate documents = VersionedUpdate.builder(job.data(), "document", "id", "version").build();
        for (int i = 0; i < editsPerThread(job.size()); i++) {
            int id = 1 + (i + job.thread()) % DOCUMENTS;
            if (!job.guarded()) {
                // broken: read, change, write back whatever was read plus our change
                Document doc = read(db, id);
                Story.pause(1); // the editor types
                db.update("UPDATE document SET edits = ? WHERE id = ?", doc.edits() + 1, id);
            } else {
                // fixed: write only over the version we read; on STALE read again and re-apply the change
                VersionedUpdate.Result result;
                do {
                    Document doc = read(db, id);
                    Story.pause(1);
                    result = documents.update(id, doc.version(), Map.of("edits", doc.edits() + 1));
                } while (result.outcome() == VersionedUpdate.Outcome.STALE);
                if (result.outcome() == VersionedUpdate.Outcome.GONE) {
                    throw new IllegalStateException("document " + id + " was deleted");
                }
            }
            job.done();
        }
    }

    private static Document read(JdbcTemplate db, int id) {
        return db.queryForObject("SELECT id, edits, version FROM document WHERE id = ?",
                (rs, n) -> new Document(rs.getInt(1), rs.getInt(2), rs.getLong(3)), id);
    }

    @Override
    public Tally tally(DataSource data, int size, int workers) {
        long expected = (long) workers * editsPerThread(size);
        long made = new JdbcTemplate(data).queryForObject("SELECT COALESCE(SUM(edits), 0) FROM document", Long.class);
        return new Tally(0, Math.max(0, expected - made));
    }
}
