package dev.holdfast.examples;

import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * One "it ran twice" story, told twice by the demo: unguarded (as the report describes it) and guarded
 * (with Holdfast). Every replica runs {@link #work} on several threads at the same time, like a service
 * scaled out to several instances whose schedules overlap.
 */
interface Story {

    /** A short id, for {@code --stories}. */
    String id();

    /** The story's title. */
    String title();

    /** The Holdfast feature the guarded run uses. */
    String feature();

    /** What {@code size} means for this story, for the demo's heading. */
    default String scale(int size) {
        return size + " items";
    }

    /** Creates the story's tables and the work to do; runs in the demo process before each run. */
    void prepare(DataSource data, int size) throws SQLException;

    /** One thread of one replica: does the story's work, unguarded or guarded as {@code job} says. */
    void work(Job job) throws Exception;

    /** Counts what went wrong, after every replica finished; {@code workers} = replicas x threads. */
    Tally tally(DataSource data, int size, int workers) throws SQLException;

    /** Whether {@code data} is MariaDB/MySQL (a few column types differ from PostgreSQL's). */
    static boolean mariadb(DataSource data) throws SQLException {
        try (var c = data.getConnection()) {
            String product = c.getMetaData().getDatabaseProductName().toLowerCase(java.util.Locale.ROOT);
            return product.contains("mariadb") || product.contains("mysql");
        }
    }

    /** A few milliseconds of outside work (an e-mail, a bank call, a user typing): the window races live in. */
    static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** What a run left behind: effects done more than once, and work never done (or updates lost). */
    record Tally(long duplicates, long lost) {
        boolean clean() {
            return duplicates == 0 && lost == 0;
        }
    }
}
