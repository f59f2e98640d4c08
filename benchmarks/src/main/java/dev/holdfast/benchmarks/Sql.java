package dev.holdfast.benchmarks;

import java.util.List;

/** The benchmark's own SQL: the peers' lock tables (as their docs give them) and the floors' scratch table. */
final class Sql {

    static final String SHEDLOCK_TABLE = "hfb_shedlock";
    /** Spring Integration's table is its prefix plus {@code LOCK}. */
    static final String SI_PREFIX = "HFB_INT_";
    static final String HOLDFAST_TABLE = "hfb_holdfast_lock";
    static final String SCRATCH_TABLE = "hfb_scratch";

    static final List<String> POSTGRES_TABLES = List.of(
            "CREATE TABLE IF NOT EXISTS " + SHEDLOCK_TABLE + " (name VARCHAR(64) NOT NULL PRIMARY KEY,"
                    + " lock_until TIMESTAMP NOT NULL, locked_at TIMESTAMP NOT NULL, locked_by VARCHAR(255) NOT NULL)",
            "CREATE TABLE IF NOT EXISTS " + SI_PREFIX + "LOCK (LOCK_KEY CHAR(36) NOT NULL, REGION VARCHAR(100) NOT NULL,"
                    + " CLIENT_ID CHAR(36), CREATED_DATE TIMESTAMP NOT NULL, EXPIRED_AFTER TIMESTAMP NOT NULL,"
                    + " PRIMARY KEY (LOCK_KEY, REGION))",
            "CREATE TABLE IF NOT EXISTS " + SCRATCH_TABLE + " (id VARCHAR(64) NOT NULL PRIMARY KEY, v BIGINT NOT NULL)");

    static final List<String> MARIADB_TABLES = List.of(
            "CREATE TABLE IF NOT EXISTS " + SHEDLOCK_TABLE + " (name VARCHAR(64) NOT NULL PRIMARY KEY,"
                    + " lock_until TIMESTAMP(3) NOT NULL, locked_at TIMESTAMP(3) NOT NULL, locked_by VARCHAR(255) NOT NULL)",
            "CREATE TABLE IF NOT EXISTS " + SI_PREFIX + "LOCK (LOCK_KEY CHAR(36) NOT NULL, REGION VARCHAR(100) NOT NULL,"
                    + " CLIENT_ID CHAR(36), CREATED_DATE DATETIME(6) NOT NULL, EXPIRED_AFTER DATETIME(6) NOT NULL,"
                    + " PRIMARY KEY (LOCK_KEY, REGION)) ENGINE=InnoDB",
            "CREATE TABLE IF NOT EXISTS " + SCRATCH_TABLE + " (id VARCHAR(64) NOT NULL PRIMARY KEY, v BIGINT NOT NULL) ENGINE=InnoDB");

    static final String PG_UPSERT = "INSERT INTO " + SCRATCH_TABLE + " (id, v) VALUES (?, 0) ON CONFLICT (id) DO UPDATE SET v = EXCLUDED.v";
    static final String MARIA_UPSERT = "INSERT INTO " + SCRATCH_TABLE + " (id, v) VALUES (?, 0) ON DUPLICATE KEY UPDATE v = VALUES(v)";
    static final String UPDATE = "UPDATE " + SCRATCH_TABLE + " SET v = v + 1 WHERE id = ?";
    /** The update, announcing itself on a channel nobody listens to (a commit that carries a NOTIFY). */
    static final String PG_UPDATE_NOTIFY = "WITH u AS (UPDATE " + SCRATCH_TABLE + " SET v = v + 1 WHERE id = ? RETURNING id)"
            + " SELECT pg_notify(?, ?) FROM u";

    private Sql() {
    }
}
